import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { MailApp } from './lib/app.svelte.js';

const target = document.getElementById('app');
if (!target) throw new Error('the page has no #app element');
const app = new MailApp();
mount(App, { target, props: { app } });
app.start();

// Leaving with an email not yet sent asks first. What was typed is saved either way.
addEventListener('beforeunload', (event) => {
  app.composer.save();
  if (app.asksBeforeLeaving) event.preventDefault();
});
