/**
 * What the smaller browser test files share: Chromium as every file launches it (./chromium.ts),
 * a signed-in tab of a profile of its own, and an email sent through the gateway as a second
 * browser would.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ChannelKind } from '../../gateway/messages.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  type RunningGateway,
} from '../helpers/gateway.js';
import { LAPTOP } from './page-tools.js';

import { undoSecondsScript } from './chromium.js';
export {
  CHROMIUM,
  INSTALL_CHROMIUM,
  haveChromium,
  launchChromium,
  leaveChromium,
  undoSecondsScript,
} from './chromium.js';
export const PHONE_844 = { width: 390, height: 844 };

export const password = (username: string): string => `password${username.replace(/\D/g, '')}`;

export interface TabOptions {
  viewport?: { width: number; height: number };
  protocol?: ChannelKind;
  /** Where the page's errors (uncaught, console errors and warnings) are collected. */
  errors: string[];
  /** Contexts to close after the test. */
  contexts: BrowserContext[];
}

/** A browser profile of its own that followed the gateway's link; sends at once (no undo time). */
export async function openTab(
  browser: Browser,
  gateway: RunningGateway,
  { viewport = LAPTOP, errors, contexts }: Omit<TabOptions, 'protocol'>,
): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  contexts.push(context);
  await context.addInitScript(undoSecondsScript());
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // Svelte's warnings (derived_inert and the like) count as much as errors here.
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  await page.goto(`${gateway.base}/?token=${gateway.token}`);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  return page;
}

/** A tab signed in as `username`, its inbox shown. */
export async function signedInTab(
  browser: Browser,
  gateway: RunningGateway,
  username: string,
  { protocol = 'enhanced', ...options }: TabOptions,
): Promise<Page> {
  const page = await openTab(browser, gateway, options);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password(username));
  await page.getByRole('radio', { name: protocol === 'enhanced' ? 'Enhanced' : 'Classic' }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
  return page;
}

/** Sends from another client of the gateway (a socket, as a second browser would); sealed on the enhanced protocol. */
export async function deliver(
  gateway: RunningGateway,
  from: string,
  to: string[],
  title: string,
  content: string,
  protocol: ChannelKind = 'classic',
): Promise<void> {
  const socket = await GatewaySocket.open(
    gateway.base,
    await gatewayCookie(gateway.base, gateway.token),
  );
  const signedIn = await socket.request({
    type: 'signIn',
    server: '',
    username: from,
    password: password(from),
    protocol,
  });
  expect(signedIn.type).toBe('signedIn');
  expect((await socket.request({ type: 'send', to, title, content })).type).toBe('sent');
  await socket.request({ type: 'signOut' });
  await socket.close();
}
