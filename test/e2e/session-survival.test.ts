/**
 * A session that survives (issue 26, items 1 and 2), in the real Chromium against the real
 * gateway and enhanced mail server: a reload and a second tab of the same browser stay signed
 * in, and so does a browser that closed its last page and opens one again within
 * --detached-grace; a restarted gateway still knows the browser (sign in again, no new link); a
 * mail server that crashes and comes back on the same port leaves the list and the open email on
 * screen under a banner, keeps an email sent meanwhile in the composer, and resumes. axe checks
 * the banner and the page opened again. The timings a user feels (reload to inbox; server back to
 * session resumed) are printed and written to test-artifacts/web-timings.json, not asserted.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, record, shoot } from './page-tools.js';
import {
  deliver,
  haveChromium,
  launchChromium,
  leaveChromium,
  password,
  signedInTab,
} from './tabs.js';

const USERS = ['client1', 'client2', 'client3'];
const RUNS = 5;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : Math.round(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
};

/** A crash, not a shutdown: the server and its session processes vanish at once. */
async function crash(server: RunningServer): Promise<void> {
  const pid = server.process.child.pid ?? -1;
  for (const victim of [pid, ...descendantsOf(pid)]) process.kill(victim, 'SIGKILL');
  await server.process.exited;
}

describe.skipIf(!haveChromium)('a session that survives', { timeout: 300_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
  let enhanced: RunningServer | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const stopLater: (() => Promise<void>)[] = [];

  const gatewayArgs = (): string[] => [
    '--keys',
    need(keys).dir,
    '--server',
    `127.0.0.1:${need(enhanced).port}`,
    '--enhanced-server',
    `127.0.0.1:${need(enhanced).port}`,
  ];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    keys = await makeKeySetup(USERS);
    enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
    gateway = await startGatewayProcess(gatewayArgs());
    browser = await launchChromium();
    await deliver(
      gateway,
      'client3',
      ['client1', 'client2'],
      'Before anything',
      'Hello.',
      'enhanced',
    );
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await leaveChromium(browser);
    for (const stop of stopLater.reverse()) await stop().catch(() => undefined);
    await gateway?.stop();
    await enhanced?.stop();
    keys?.cleanup();
  });

  const inboxShown = async (page: Page): Promise<void> => {
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    // The email delivered before the tests (sealed: the list shows what it can of it).
    await page.locator('.row').first().waitFor();
  };

  it('a reload and a second tab of the same browser stay signed in', async () => {
    const page = await signedInTab(need(browser), need(gateway), 'client1', { errors, contexts });
    await inboxShown(page);
    const timings: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = Date.now();
      await page.reload();
      await inboxShown(page);
      timings.push(Date.now() - started);
    }
    await expect(page.getByRole('heading', { name: 'Sign in', exact: true }).count()).resolves.toBe(
      0,
    );
    record('reload to inbox, median ms', median(timings));
    record('reload to inbox, runs ms', timings.join(', '));

    // A draft written in this tab is there in the next one (shared in memory between tabs).
    await page.keyboard.press('c');
    await page.getByLabel('Title').fill('Shared between tabs');
    await page.keyboard.press('Escape');

    // Another tab of the same browser: straight to the inbox, no sign-in.
    const context = need(contexts.at(-1));
    const second = await context.newPage();
    second.on('pageerror', (error) => errors.push(error.message));
    const opened = Date.now();
    await second.goto(need(gateway).base);
    await inboxShown(second);
    record('second tab to inbox, ms', Date.now() - opened);
    await expect.poll(() => second.locator('h1').first().textContent()).toContain('client1');
    await second.getByRole('button', { name: /^Drafts/ }).click();
    await second.locator('.draft', { hasText: 'Shared between tabs' }).waitFor();
    expect(await axeViolations(second, 'second tab, drafts')).toEqual([]);

    // A second browser profile, without the cookie, gets the gateway's "open the link" page.
    const stranger = await need(browser).newContext();
    contexts.push(stranger);
    const strangerPage = await stranger.newPage();
    const response = await strangerPage.goto(need(gateway).base);
    expect(response?.status()).toBe(401);
    await expect(strangerPage.content()).resolves.not.toContain('client1');

    // Signing out in one tab signs out the other at once.
    await second.getByRole('button', { name: /Sign out/ }).click();
    await second.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByText('You signed out in another tab.').waitFor();
    expect(errors).toEqual([]);
  });

  it('a browser that closed its last page and comes back within the grace period is still signed in', async () => {
    const page = await signedInTab(need(browser), need(gateway), 'client1', { errors, contexts });
    await inboxShown(page);
    const context = page.context();
    // Every page of the browser closes: the session waits --detached-grace (300 s here).
    for (const open of context.pages()) await open.close();
    expect(context.pages()).toHaveLength(0);

    const back = await context.newPage();
    back.on('pageerror', (error) => errors.push(error.message));
    const hellos: { type: string; resumed?: { session: { username: string } } }[] = [];
    back.on('websocket', (socket) => {
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload !== 'string') return;
        const message = JSON.parse(frame.payload) as (typeof hellos)[number];
        if (message.type === 'hello') hellos.push(message);
      });
    });
    const opened = Date.now();
    await back.goto(need(gateway).base);
    await inboxShown(back);
    record('tab closed and opened again to inbox, ms', Date.now() - opened);
    // The gateway's word: this browser's session was still signed in, and the page joined it.
    expect(hellos.map((hello) => hello.resumed?.session.username)).toEqual(['client1']);
    await expect(back.getByRole('heading', { name: 'Sign in', exact: true }).count()).resolves.toBe(
      0,
    );
    await expect.poll(() => back.locator('h1').first().textContent()).toContain('client1');
    await back.locator('.row', { hasText: 'client3' }).first().waitFor();
    expect(await axeViolations(back, 'tab opened again within the grace period')).toEqual([]);
    await back.getByRole('button', { name: /Sign out/ }).click();
    await back.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(errors).toEqual([]);
  });

  it('a restarted gateway keeps the browser: sign in again, no new link', async () => {
    const first = await startGatewayProcess(gatewayArgs());
    stopLater.push(() => first.stop());
    const page = await signedInTab(need(browser), first, 'client2', { errors: [], contexts });
    await inboxShown(page);
    const port = new URL(first.base).port;
    await first.stop();
    const second = await startGatewayProcess([...gatewayArgs(), '--listen', `127.0.0.1:${port}`]);
    stopLater.push(() => second.stop());
    expect(second.base).toBe(first.base);
    // The page finds the gateway again on its own, with the cookie it has.
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor({ timeout: 30_000 });
    await expect(
      page.getByRole('heading', { name: 'The gateway was restarted' }).count(),
    ).resolves.toBe(0);
    await page.getByLabel('Password').fill(password('client2'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await inboxShown(page);
    // And a reload after it stays signed in, on the new gateway.
    await page.reload();
    await inboxShown(page);
  });

  it('a mail-server restart mid-session keeps the list on screen, shows the banner, and resumes', async () => {
    const page = await signedInTab(need(browser), need(gateway), 'client2', { errors, contexts });
    await inboxShown(page);
    const rows = await page.locator('.row').count();
    // An email open in the reader stays shown through the outage (GATEWAY.md).
    await page.locator('.row', { hasText: 'client3' }).first().click();
    const reader = page.getByRole('heading', { level: 2, name: 'Before anything', exact: true });
    const content = page.locator('pre[aria-label="Content"]');
    await reader.waitFor();
    await expect.poll(() => content.innerText()).toBe('Hello.');
    const port = need(enhanced).port;
    const banner = page.getByRole('region', { name: 'Mail server connection' });
    const resumed: number[] = [];
    for (let run = 0; run < 3; run++) {
      await crash(need(enhanced));
      await banner.waitFor();
      await banner
        .getByText(/The mail server cannot be reached; trying again (in \d+ s|now)\./)
        .waitFor();
      // What was loaded stays.
      await expect(page.locator('.row').count()).resolves.toBe(rows);
      if (run === 0) {
        await expect(reader.isVisible()).resolves.toBe(true);
        await expect(content.innerText()).resolves.toBe('Hello.');
        expect(await axeViolations(page, 'mail server unreachable')).toEqual([]);
        await shoot(page, 'server-unreachable');
        // An email sent meanwhile stays in the composer, and the page says so.
        await page.keyboard.press('c');
        await page.getByLabel('To').fill('client1;');
        await page.getByLabel('Title').fill('Written during the outage');
        await page.locator('#compose-content').fill('Kept, not lost.');
        await page.getByRole('button', { name: 'Send', exact: true }).click();
        await page.getByText('Not sent: the mail server cannot be reached right now.').waitFor();
        // client1 is among the open email's recipients: a name seen in mail, not asked about.
        await expect(page.getByRole('button', { name: 'Send anyway' }).count()).resolves.toBe(0);
        await expect(page.getByLabel('Title').inputValue()).resolves.toBe(
          'Written during the outage',
        );
        expect(await axeViolations(page, 'send during the outage')).toEqual([]);
        await shoot(page, 'server-unreachable-send');
      }
      enhanced = await startMailServer(
        serverHome(need(keys).dir),
        ['--port', String(port)],
        'mail-server/main-enhanced.js',
      );
      const back = Date.now();
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      resumed.push(Date.now() - back);
    }
    record('mail server back to session resumed (backoff), median ms', median(resumed));
    record('mail server back to session resumed, runs ms', resumed.join(', '));

    // "Try now": the server back after a longer outage, the session resumes at the press.
    await crash(need(enhanced));
    await banner.waitFor();
    // Let the waits grow past a few seconds.
    await banner.getByText(/trying again in (\d{2}|[5-9]) s/).waitFor({ timeout: 30_000 });
    enhanced = await startMailServer(
      serverHome(need(keys).dir),
      ['--port', String(port)],
      'mail-server/main-enhanced.js',
    );
    const pressed = Date.now();
    await banner.getByRole('button', { name: 'Try now' }).click();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    record('Try now to session resumed, ms', Date.now() - pressed);

    // The session goes on: the kept email sends, and new mail is watched for again.
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    // client1 is a name seen in mail (the open email's): sent without a question.
    await page
      .getByText(/Sent to client1|Delivered to client1/)
      .first()
      .waitFor();
    await expect(page.getByRole('button', { name: 'Send anyway' }).count()).resolves.toBe(0);
    await deliver(need(gateway), 'client3', ['client2'], 'After the outage', 'Back.', 'enhanced');
    await expect.poll(() => page.locator('.row').count(), { timeout: 30_000 }).toBe(rows + 1);
    // The email opened before the outages is still the one in the reader.
    await expect(reader.isVisible()).resolves.toBe(true);
    await expect(content.innerText()).resolves.toBe('Hello.');
    expect(errors.filter((text) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(text))).toEqual([]);
  });
});
