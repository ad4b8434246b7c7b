/**
 * The browser test files' Chromium, launched the same way by each file (Debian's, headless,
 * with nothing in the background to compete with the pages for a loaded machine's cores).
 * One browser per file: a single browser shared by the run (launchServer, connect) was tried
 * and measured no faster, since two files' pages then wait on one browser process.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
