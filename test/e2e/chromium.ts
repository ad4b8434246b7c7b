/**
 * The browser test files' Chromium: the one the run started (test/setup/chromium.ts), connected
 * to anew by each file. Closing the connected Browser closes the contexts this connection made
 * and disconnects; the run's Chromium goes on serving the other files.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { inject, type ProvidedContext } from 'vitest';
import { CHROMIUM } from '../setup/chromium.js';

export { CHROMIUM };
export const haveChromium = existsSync(CHROMIUM);

/** A connection to the run's Chromium; its close() leaves that Chromium running. */
export async function launchChromium(): Promise<Browser> {
  // Undefined when the project's globalSetup lacks test/setup/chromium.ts.
  const provided = inject('chromium') as ProvidedContext['chromium'] | undefined;
  if (provided === undefined)
    throw new Error('test/setup/chromium.ts did not run for this project');
  if ('unavailable' in provided)
    throw new Error(`no Chromium for this run: ${provided.unavailable}`);
  return chromium.connect(provided.wsEndpoint);
}
