import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { MailApp } from './lib/app.svelte.js';

const target = document.getElementById('app');
if (!target) throw new Error('the page has no #app element');
const app = new MailApp();
mount(App, { target, props: { app } });
app.start();

// Leaving with an email not yet sent, or a delete still held for Undo, asks first. What was
// typed is saved either way; a held delete is not sent (the email stays on the server).
addEventListener('beforeunload', (event) => {
  app.composer.save();
  if (app.asksBeforeLeaving) event.preventDefault();
});
