/**
 * Once per run of the browser project: one Chromium for every browser test file, which each
 * file connects to (test/e2e/chromium.ts) instead of launching a browser of its own: a launch
 * costs about 1.5 s of CPU, and each file's contexts are profiles of their own anyway. Closed
 * at the end of the run. Where the machine has no Chromium, nothing is started and the files
 * skip their tests.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's Chromium listens for playwright-core's connect(), or why there is none. */
    chromium: { wsEndpoint: string } | { unavailable: string };
  }
}

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Nothing in the background to compete with the page for a loaded machine's cores.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM)) {
    project.provide('chromium', { unavailable: `${CHROMIUM} is missing` });
    return () => Promise.resolve();
  }
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  project.provide('chromium', { wsEndpoint: server.wsEndpoint() });
  return () => server.close();
}
