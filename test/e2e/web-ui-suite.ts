/**
 * What the web UI's browser test files (web-ui-*.test.ts) share: the real mail servers (classic
 * and enhanced, on one home), the gateway and one Chromium per file (./chromium.ts), started
 * once in beforeAll; a browser profile of its own per tab, closed after each test; and the
 * helpers that sign in, send as another client and watch what a page sends. Each test uses users
 * of its own, so the tests of a file share the servers without meeting in an inbox.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { ChannelKind, InboxItem } from '../../gateway/messages.js';
import { formatStoredEmail } from '../../protocol/email.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { WIDE, artifacts, longestTask, recordLongTasks } from './page-tools.js';
import {
  CHROMIUM,
  INSTALL_CHROMIUM,
  haveChromium,
  launchChromium,
  leaveChromium,
  undoSecondsScript,
} from './tabs.js';

if (!haveChromium) {
  console.warn(`web UI e2e tests skipped: ${CHROMIUM} is missing (${INSTALL_CHROMIUM})`);
}
export { haveChromium };

/** client1 … client24, passwords password1 … password24 (the key setup's order). */
const USERS = Array.from({ length: 24 }, (_, i) => `client${i + 1}`);
/** The user whose inbox holds BIG_INBOX_SIZE emails, when a file asks for it. */
export const BIG_INBOX = 'client4';
/** The user whose inbox holds 40 notes, when a file asks for them. */
export const MARKS_USER = 'client5';
export const BIG_INBOX_SIZE = 10_000;
const SENDERS = ['ana', 'bruno', 'chen', 'dara', 'emeka', 'fatima', 'goran', 'hana'];

export function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

export const password = (username: string): string => `password${username.replace(/\D/g, '')}`;

/** Email files written straight into an inbox, as the server stores them (for large inboxes). */
/** Email files written straight into an inbox, as the server stores them (for large inboxes). */
export function fillInbox(
  home: string,
  user: string,
  count: number,
  make: (i: number) => { from: string; title: string; content: string },
): void {
  const start = Date.UTC(2024, 0, 1, 9);
  for (let i = 0; i < count; i++) {
    const { from, title, content } = make(i);
    const at = new Date(start + i * 3_600_000);
    const receivedAt = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 19)}.000001`;
    const text = formatStoredEmail({ from, to: [user], title, content }, receivedAt);
    writeFileSync(join(home, user, `${from}_${title}.txt`), text, { mode: 0o600 });
  }
}

function fillBigInboxes(home: string): void {
  fillInbox(home, BIG_INBOX, BIG_INBOX_SIZE, (i) => ({
    from: SENDERS[(i * 7) % SENDERS.length] ?? 'ana',
    title: `Report ${String((i * 7919) % BIG_INBOX_SIZE).padStart(5, '0')}`,
    content: `Row ${i}`,
  }));
  fillInbox(home, MARKS_USER, 40, (i) => ({
    from: SENDERS[i % SENDERS.length] ?? 'ana',
    title: `Note ${String(i).padStart(2, '0')}`,
    content: `Note number ${i}.`,
  }));
}

export interface SuiteOptions {
  /** Fill BIG_INBOX with BIG_INBOX_SIZE emails and MARKS_USER with 40 before the servers start. */
  bigInboxes?: boolean;
}

export interface TabOptions {
  viewport?: { width: number; height: number };
  via?: RunningGateway;
  /** Seconds an email is held for Undo (the setting); most tests send at once. */
  undoSeconds?: number;
  /**
   * The page's timers run on Playwright's clock (at the real pace), so that a test can end a
   * hold for Undo at once with endHold instead of waiting it out.
   */
  clock?: boolean;
}

/** Ends the hold of a tab opened with `clock: true` (the Undo time passes at once). */
export async function endHold(page: Page, undoSeconds: number): Promise<void> {
  await page.clock.fastForward(undoSeconds * 1000);
}

/**
 * Registers the file's hooks (call it inside the file's describe) and returns what its tests
 * use. The servers, gateway and browser are there once beforeAll has run.
 */
export function webUiSuite({ bigInboxes = false }: SuiteOptions = {}) {
  // Set in beforeAll; undefined only if it failed part way, which afterAll must survive.
  let keys: { dir: string; cleanup: () => void } | undefined;
  let server: RunningServer | undefined;
  /** The enhanced mail server, on the same home (the same mailboxes). */
  let enhanced: RunningServer | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  let files: string | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const stopLater: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'sealed-mail-e2e-'));
    const setup = await makeKeySetup(USERS);
    keys = setup;
    const home = serverHome(setup.dir);
    if (bigInboxes) fillBigInboxes(home);
    // Started side by side: each waits mostly on a process of its own.
    await Promise.all([
      startMailServer(home).then((started) => {
        server = started;
      }),
      startMailServer(home, [], 'mail-server/main-enhanced.js').then((started) => {
        enhanced = started;
      }),
      launchChromium().then((started) => {
        browser = started;
      }),
    ]);
    gateway = await startGatewayProcess(gatewayArgs());
    // 24 users' keys, 10,040 email files and four processes: more than a hook's minute when loaded.
  }, 180_000);

  afterAll(async () => {
    await leaveChromium(browser);
    for (const stop of stopLater.splice(0)) await stop();
    await gateway?.stop();
    await server?.stop();
    await enhanced?.stop();
    keys?.cleanup();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  beforeEach(() => {
    // A page answers within a second when the machine is idle; a loaded two-core one may take longer.
    vi.setConfig({ expect: { poll: { timeout: 10_000 } } });
  });

  afterEach(async ({ task }) => {
    // On a failure, what each tab showed helps more than the stack.
    if (task.result?.state === 'fail') {
      for (const [name, running] of [
        ['gateway', gateway?.process],
        ['mail server', server?.process],
      ] as const) {
        console.error(
          `${name} output, the end:\n${running?.stdoutLines.slice(-15).join('\n') ?? ''}\n${running?.stderrLines.slice(-15).join('\n') ?? ''}`,
        );
      }
      let n = 0;
      for (const context of contexts) {
        for (const page of context.pages())
          await page
            .screenshot({ path: join(artifacts, `failure-${++n}.png`) })
            .catch(() => undefined);
      }
    }
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    for (const stop of stopLater.splice(0)) await stop();
    pageErrors.length = 0;
  });

  /** The gateway's arguments: the classic server `mail`, the shared enhanced one unless `more` names one. */
  function gatewayArgs(mail: RunningServer = need(server), ...more: string[]): string[] {
    return [
      '--keys',
      need(keys).dir,
      '--server',
      `127.0.0.1:${mail.port}`,
      ...(more.includes('--enhanced-server')
        ? []
        : ['--enhanced-server', `127.0.0.1:${need(enhanced).port}`]),
      '--poll',
      '1',
      // Many browsers sign in many times within a minute here; the limit is tested elsewhere.
      '--sign-in-limit',
      '1000',
      // A session ends with its last page here, as a reload after the grace period would find
      // it (test/e2e/session-survival.test.ts has the reload that stays signed in).
      '--detached-grace',
      '0',
      ...more,
    ];
  }

  /** A browser profile of its own that has followed the gateway's printed link. */
  async function openTab({
    viewport = WIDE,
    via = need(gateway),
    undoSeconds = 0,
    clock = false,
  }: TabOptions = {}): Promise<Page> {
    const context = await need(browser).newContext({ viewport, colorScheme: 'light' });
    contexts.push(context);
    if (clock) await context.clock.install();
    await context.addInitScript(undoSecondsScript(undoSeconds));
    const page = await context.newPage();
    watchErrors(page);
    recordRequests(page);
    // "Discard this email?" and the like: the person says yes.
    page.on('dialog', (dialog) => {
      if (dialog.type() === 'confirm') void dialog.accept().catch(() => undefined);
    });
    await page.goto(`${via.base}/?token=${via.token}`);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    return page;
  }

  const requestLog = new WeakMap<Page, Record<string, unknown>[]>();

  /** Keeps every request the page sends on its socket (reloads included), for requestsOf. */
  function recordRequests(page: Page): void {
    const log: Record<string, unknown>[] = [];
    requestLog.set(page, log);
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string')
          log.push(JSON.parse(frame.payload) as Record<string, unknown>);
      });
    });
  }

  /** The requests of one type the page has sent so far. */
  function requestsOf(page: Page, type: string): Record<string, unknown>[] {
    return (requestLog.get(page) ?? []).filter((request) => request.type === type);
  }

  function watchErrors(page: Page): void {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // A CSP violation is reported on the console: the page must not cause any.
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }

  async function signIn(
    page: Page,
    username: string,
    secret = password(username),
    protocol: ChannelKind = 'classic',
  ): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(secret);
    await page
      .getByRole('radio', { name: protocol === 'classic' ? 'Classic' : 'Enhanced' })
      .check();
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signInToInbox(
    page: Page,
    username: string,
    protocol: ChannelKind = 'classic',
  ): Promise<number> {
    const started = Date.now();
    await signIn(page, username, password(username), protocol);
    await page.locator('#inbox-list, .empty').first().waitFor();
    return Date.now() - started;
  }

  /** Another client of the mail server: a socket to the gateway, signed in. */
  async function openSocket(
    username: string,
    protocol: ChannelKind = 'classic',
    via: RunningGateway = need(gateway),
  ): Promise<GatewaySocket> {
    const socket = await GatewaySocket.open(via.base, await gatewayCookie(via.base, via.token));
    const reply = await socket.request({
      type: 'signIn',
      server: '',
      username,
      password: password(username),
      protocol,
    });
    expect(reply.type).toBe('signedIn');
    return socket;
  }

  /** The inbox as the server lists it now, through a session of its own. */
  async function listOnServer(username: string): Promise<InboxItem[]> {
    const socket = await openSocket(username, 'enhanced');
    const reply = await socket.request({ type: 'listInbox' });
    await socket.request({ type: 'signOut' });
    await socket.close();
    if (reply.type !== 'inbox') throw new Error(`no listing: ${JSON.stringify(reply)}`);
    return reply.items;
  }

  /** Sends an email through the gateway's socket, as another browser would. */
  async function deliver(
    from: string,
    to: string[],
    title: string,
    content: string,
    via: RunningGateway = need(gateway),
  ): Promise<void> {
    const socket = await GatewaySocket.open(via.base, await gatewayCookie(via.base, via.token));
    expect((await socket.signIn(from)).type).toBe('signedIn');
    // Plain, as the fixtures of these tests are (sealing has its own tests): unsealed on purpose.
    expect((await socket.request({ type: 'send', to, title, content, unsealed: true })).type).toBe(
      'sent',
    );
    await socket.request({ type: 'signOut' });
    await socket.close();
  }

  /** Types at the end of a text field, measuring each key until the next frame is drawn. */
  async function keyLatencies(
    page: Page,
    selector: string,
  ): Promise<{ median: number; slowest: number; longestTask: number }> {
    const field = page.locator(selector);
    await field.focus();
    await page.keyboard.press('Control+End');
    await page.evaluate(`(() => {
      window.__keyLatencies = [];
      document.addEventListener('keydown', () => {
        const start = performance.now();
        requestAnimationFrame(() => setTimeout(() => window.__keyLatencies.push(performance.now() - start)));
      }, true);
    })()`);
    await recordLongTasks(page);
    await field.pressSequentially('typed at the end', { delay: 30 });
    await expect.poll(() => page.evaluate('window.__keyLatencies.length')).toBe(16);
    const latencies = (await page.evaluate<number[]>('window.__keyLatencies')).sort(
      (a, b) => a - b,
    );
    return {
      median: Math.round(latencies[8] ?? 0),
      slowest: Math.round(latencies[15] ?? 0),
      longestTask: await longestTask(page),
    };
  }

  const announced = (page: Page): Promise<string> =>
    page.locator('[role="status"][aria-live="polite"]').last().innerText();
  const focusedId = (page: Page): Promise<string> =>
    page.evaluate<string>("document.activeElement?.id ?? ''");
  const chips = (page: Page): Promise<string[]> =>
    page.locator('.chip > span:first-child').allInnerTexts();

  return {
    get keys() {
      return need(keys);
    },
    get server() {
      return need(server);
    },
    get enhanced() {
      return need(enhanced);
    },
    get gateway() {
      return need(gateway);
    },
    get browser() {
      return need(browser);
    },
    get files() {
      return need(files);
    },
    contexts,
    pageErrors,
    stopLater,
    requestLog,
    gatewayArgs,
    openTab,
    requestsOf,
    signIn,
    signInToInbox,
    openSocket,
    listOnServer,
    deliver,
    keyLatencies,
    announced,
    focusedId,
    chips,
  };
}
