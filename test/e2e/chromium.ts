/**
 * The browser test files' Chromium, launched the same way by each file (Debian's, headless,
 * with nothing in the background to compete with the pages for a loaded machine's cores).
 * One browser per file: a single browser shared by the run (launchServer, connect) was tried
 * and measured no faster, since two files' pages then wait on one browser process.
 *
 * Debian's chromium-headless-shell (the same engine without the browser's own UI) is taken when
 * it is installed: a browser profile and its first page cost about a third of the CPU they cost
 * in the full browser (12 of them: 1.1 s against 3.2 s), and the tests open hundreds. The full
 * browser is the fallback.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
const FULL_BROWSER = '/usr/bin/chromium';
export const CHROMIUM = existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : FULL_BROWSER;
export const haveChromium = existsSync(CHROMIUM);
/** What to install when neither is there. */
export const INSTALL_CHROMIUM = 'apt-get install chromium-headless-shell (or chromium)';

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

/**
 * An init script that gives a fresh browser profile an Undo time (most tests send at once); a
 * profile whose settings were changed keeps them across reloads.
 */
export const undoSecondsScript = (seconds = 0): string =>
  `if (!localStorage.getItem('sealed-mail:settings')) localStorage.setItem('sealed-mail:settings', JSON.stringify({ undoSeconds: ${seconds} }));`;
