/**
 * The content search in a real Chromium against the real gateway and enhanced mail server: an
 * inbox of 10,000 planted plain emails, a plain one and a sealed one whose content says
 * "quarterly". While the session child indexes, the list says "Indexing N of M" on its top
 * border, taking no room (no row moves when it goes); rows of sealed emails show their real mark before anything is opened; typing
 * "quarterly" finds both emails by their content (the sealed one opened by the child with the
 * user's key, never by the server); the time from typing to the rows shown on 10,000 emails is
 * measured; axe-core checks each screen. With SCREENSHOTS=1, screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatStoredEmail } from '../../protocol/email.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, LAPTOP, PHONE, record, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium } from './chromium.js';

const USERS = ['client1', 'client2', 'client3'];
const FILLER = 10_000;
const password = (username: string): string => `password${username.replace(/\D/g, '')}`;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('content search in the web UI', { timeout: 400_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
  let enhanced: RunningServer | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** The operator writes a plain email into client1's inbox folder. */
  function plant(name: string, from: string, title: string, content: string, at: Date): void {
    const iso = at.toISOString();
    writeFileSync(
      join(inboxOf(need(keys).dir, 'client1'), name),
      formatStoredEmail(
        { from, to: ['client1'], title, content },
        `${iso.slice(0, 10)} ${iso.slice(11, 19)}.000001`,
      ),
      { mode: 0o600 },
    );
  }

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    keys = await makeKeySetup(USERS);
    const start = Date.UTC(2024, 0, 1, 9);
    for (let i = 0; i < FILLER; i++)
      plant(
        `filler-${i}.txt`,
        i % 2 === 0 ? 'client3' : 'client2',
        `Ledger ${i}`,
        `Row ${i} of the ledger: figures for week ${i % 52}.`,
        new Date(start + i * 60_000),
      );
    plant(
      'planning.txt',
      'client3',
      'Planning',
      'Our Quarterly planning, part two.',
      new Date(Date.UTC(2025, 0, 1)),
    );
    enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${enhanced.port}`,
      '--enhanced-server',
      `127.0.0.1:${enhanced.port}`,
      '--poll',
      '1',
    ]);
    // client2 seals an email to client1 through the gateway, as a second browser would.
    const socket = await GatewaySocket.open(
      gateway.base,
      await gatewayCookie(gateway.base, gateway.token),
    );
    await socket.request({
      type: 'signIn',
      server: '',
      username: 'client2',
      password: password('client2'),
      protocol: 'enhanced',
    });
    const sent = await socket.request({
      type: 'send',
      to: ['client1'],
      title: 'Numbers',
      content: 'The quarterly figures are attached.',
    });
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    await socket.request({ type: 'signOut' });
    await socket.close();
    browser = await launchChromium();
    vi.setConfig({ expect: { poll: { timeout: 10_000 } } });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await leaveChromium(browser);
    await gateway?.stop();
    await enhanced?.stop();
    keys?.cleanup();
  });

  async function signedInTab(
    username: string,
    viewport = LAPTOP,
    prepare: (page: Page) => Promise<void> = () => Promise.resolve(),
  ): Promise<Page> {
    const context = await need(browser).newContext({ viewport, colorScheme: 'light' });
    contexts.push(context);
    const page = await context.newPage();
    await prepare(page);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    const { base, token } = need(gateway);
    await page.goto(`${base}/?token=${token}`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password(username));
    await page.getByRole('radio', { name: 'Enhanced' }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    return page;
  }

  /** The gateway's progress event that says every email is indexed. */
  function isIndexingDone(message: string): boolean {
    const event = JSON.parse(message) as { type?: string; indexed?: number; total?: number };
    return event.type === 'indexProgress' && event.indexed === event.total;
  }

  const rowOf = (page: Page, title: string) =>
    page.locator('#inbox-list [role="option"]').filter({ hasText: title });

  it('finds "quarterly" inside a plain and a sealed email, shows sealed rows’ marks before opening, and says how far indexing is', async () => {
    const violations: string[] = [];
    const signedInAt = performance.now();
    // The gateway's word that indexing is done is held back until the page's indexing state
    // has been checked: 10,002 emails may be indexed before the checks below come to it.
    const doneHeld: string[] = [];
    let holdingDone = true;
    let indexingDoneAt: number | undefined;
    let toPage: ((message: string) => void) | undefined;
    const page = await signedInTab('client1', LAPTOP, (tab) =>
      tab.routeWebSocket(/\/ws/, (socket) => {
        const gatewaySide = socket.connectToServer();
        socket.onMessage((message) => {
          gatewaySide.send(message);
        });
        toPage = (message) => {
          socket.send(message);
        };
        gatewaySide.onMessage((message) => {
          if (typeof message === 'string' && isIndexingDone(message)) {
            indexingDoneAt ??= performance.now();
            if (holdingDone) {
              doneHeld.push(message);
              return;
            }
          }
          socket.send(message);
        });
      }),
    );
    // The sealed email is the newest: its row shows its real mark with nothing opened.
    await expect
      .poll(() =>
        rowOf(page, 'Numbers')
          .getByRole('img', { name: 'Sealed, signed by client2, verified (key from your keyring)' })
          .count(),
      )
      .toBe(1);
    await expect(page.locator('.reader h2').count()).resolves.toBe(0);
    // While the child indexes, the progress line says so (unobtrusively, on the list's top border).
    const progress = page.locator('#index-progress');
    await expect(progress.textContent()).resolves.toMatch(
      /^Indexing [\d,]+ of 10,002 emails for search$/,
    );
    violations.push(...(await axeViolations(page, 'indexing')));
    await shoot(page, 'content-search-indexing-desktop');
    // The line takes no room: when it goes, no row moves under the pointer.
    const firstRow = page.locator('#inbox-list [role="option"]').first();
    const rowTopWhileIndexing = (await firstRow.boundingBox())?.y;
    holdingDone = false;
    for (const message of doneHeld.splice(0)) need(toPage)(message);
    await progress.waitFor({ state: 'detached', timeout: 300_000 });
    expect((await firstRow.boundingBox())?.y).toBe(rowTopWhileIndexing);
    const indexingMs = need(indexingDoneAt) - signedInAt;
    record('content search: sign-in to 10,002 emails indexed (ms)', Math.round(indexingMs));

    const search = page.getByRole('searchbox', { name: 'Search mail' });
    const rows = page.locator('#inbox-list [role="option"]');
    const timings: number[] = [];
    for (let round = 0; round < 5; round++) {
      await search.fill('');
      await expect.poll(() => rows.count()).toBeGreaterThan(2);
      const started = performance.now();
      await search.fill('quarterly');
      await expect.poll(() => rows.count(), { interval: 5 }).toBe(2);
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    record(
      'content search: typing "quarterly" to rows shown, 10,002 emails, median (ms)',
      Math.round(timings[2] ?? 0),
    );
    record(
      'content search: typing "quarterly" to rows shown, 10,002 emails, worst of 5 (ms)',
      Math.round(timings[4] ?? 0),
    );
    await expect(rowOf(page, 'Numbers').count()).resolves.toBe(1);
    await expect(rowOf(page, 'Planning').count()).resolves.toBe(1);
    await expect(page.getByText('2 matches of 10,002 emails').count()).resolves.toBe(1);
    // Generous, as the other timed checks here: a loaded two-core machine must not fail it; the
    // figure recorded above is what counts (the 300 ms, met on a quiet machine).
    expect(timings[2] ?? Infinity).toBeLessThan(3000);
    // A prefix and an accent and case folded: still both.
    await search.fill('QUÁRTER');
    await expect.poll(() => rows.count()).toBe(2);
    // Every word counts: the plain one alone.
    await search.fill('quarterly planning');
    await expect.poll(() => rows.count()).toBe(1);
    await expect(rowOf(page, 'Planning').count()).resolves.toBe(1);
    await search.fill('quarterly');
    await expect.poll(() => rows.count()).toBe(2);
    violations.push(...(await axeViolations(page, 'content search results')));
    await shoot(page, 'content-search-results-desktop');

    const phone = await signedInTab('client1', PHONE);
    await phone.getByRole('searchbox', { name: 'Search mail' }).fill('figures quarterly');
    await expect.poll(() => phone.locator('#inbox-list [role="option"]').count()).toBe(1);
    await expect(rowOf(phone, 'Numbers').count()).resolves.toBe(1);
    violations.push(...(await axeViolations(phone, 'content search results, phone')));
    await shoot(phone, 'content-search-results-phone');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
