/**
 * The browser test files' Chromium, launched the same way by each file (Debian's, headless,
 * with nothing in the background to compete with the pages for a loaded machine's cores).
 * One browser per worker: launched by the first browser file a worker runs and kept for the next
 * ones (with isolate off a worker runs file after file in one process), each file closing its
 * own profiles when it is done (leaveChromium). A single browser shared by the whole run
 * (launchServer, connect) was tried and measured no faster, since the two workers' pages then
 * wait on one browser process.
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

let workerBrowser: Promise<Browser> | undefined;

/**
 * The worker's Chromium (see above): launched again if its process has ended. Playwright ends it
 * when the worker ends.
 */
export async function launchChromium(): Promise<Browser> {
  const running = await workerBrowser?.catch(() => undefined);
  if (running?.isConnected()) return running;
  workerBrowser = chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return workerBrowser;
}

/** A file done with the worker's Chromium: every browser profile closed, the browser kept. */
export async function leaveChromium(browser: Browser | undefined): Promise<void> {
  await Promise.all((browser?.contexts() ?? []).map((context) => context.close()));
}

/**
 * An init script that gives a fresh browser profile an Undo time (most tests send at once); a
 * profile whose settings were changed keeps them across reloads.
 */
export const undoSecondsScript = (seconds = 0): string =>
  `if (!localStorage.getItem('sealed-mail:settings')) localStorage.setItem('sealed-mail:settings', JSON.stringify({ undoSeconds: ${seconds} }));`;
