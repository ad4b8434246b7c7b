/**
 * One session per browser: reloads and tabs join it, it outlives its last page for the grace
 * period, a restarted gateway still knows the browser's cookie, and a mail server that goes
 * away is reconnected to. `ws` clients against the built gateway process and real mail servers.
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../gateway/messages.js';
import { BrowserCookies, COOKIE_KEY_FILE } from '../../gateway/web-bridge/browser-cookies.js';
import {
  Browser,
  childrenOf,
  descendantsOf,
  eventually,
  gatewayCookie,
  isAlive,
  makeWebRoot,
  startGatewayProcess,
  upgradeStatus,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

type Of<K extends Reply['type']> = Extract<Reply, { type: K }>;

let keys: { dir: string; cleanup: () => void };
let web: { dir: string; cleanup: () => void };
let server: RunningServer;
const stopLater: (() => Promise<void>)[] = [];

beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2', 'client3', 'client4']);
  web = makeWebRoot();
  server = await startMailServer(serverHome(keys.dir));
});

afterAll(async () => {
  for (const stop of stopLater.reverse()) await stop().catch(() => undefined);
  await server.stop();
  web.cleanup();
  keys.cleanup();
});

const gatewayArgs = (port: number, extra: string[] = []): string[] => [
  '--keys',
  keys.dir,
  '--server',
  `127.0.0.1:${port}`,
  '--web-root',
  web.dir,
  '--poll',
  '1',
  '--spare',
  '0',
  '--sign-in-limit',
  '1000',
  ...extra,
];

async function gatewayFor(port = server.port, extra: string[] = []): Promise<RunningGateway> {
  const gateway = await startGatewayProcess(gatewayArgs(port, extra));
  stopLater.push(() => gateway.stop());
  return gateway;
}

/** What GET /session answers a cookie (200: the page gets a secret). */
async function sessionStatus(base: string, cookie: string, origin?: string): Promise<number> {
  const response = await fetch(`${base}/session`, {
    headers: {
      cookie,
      'sec-fetch-site': origin === undefined ? 'same-origin' : 'same-site',
      ...(origin === undefined ? {} : { origin }),
    },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Opens a tab as Browser.open does, and keeps its hello (which says whether it joined a session). */
async function openWithHello(base: string, cookie: string): Promise<[Browser, Of<'hello'>]> {
  const browser = await Browser.connect(base, { cookie, origin: base });
  const response = await fetch(`${base}/session`, {
    headers: { cookie, 'sec-fetch-site': 'same-origin' },
  });
  const { secret } = (await response.json()) as { secret: string };
  browser.socket.send(JSON.stringify({ type: 'authenticate', secret }));
  return [browser, await browser.event('hello')];
}

describe('one session per browser', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await gatewayFor(server.port, ['--detached-grace', '60']);
  });

  it('a second tab and a reload join the signed-in session, with the same session process', async () => {
    const cookie = await gatewayCookie(gateway.base, gateway.token);
    const first = await Browser.open(gateway.base, cookie);
    // A tab already open when another signs in is told, and joins.
    const waiting = await Browser.open(gateway.base, cookie);
    expect(await first.signIn('client1')).toMatchObject({ type: 'signedIn' });
    expect(await waiting.event('resumed')).toMatchObject({
      session: { username: 'client1', protocol: 'classic' },
    });
    const pids = childrenOf(gateway.process.child.pid ?? -1).filter(isAlive);
    expect(pids).toHaveLength(1);

    // Both tabs number their requests from 1: each gets its own answer.
    const [one, two] = await Promise.all([
      first.request({ type: 'listInbox' }),
      waiting.request({ type: 'sealingPlan', to: ['client2'] }),
    ]);
    expect(one.type).toBe('inbox');
    expect(two.type).toBe('sealingPlan');

    // A reload: every tab closed, then a page again, within the grace period.
    await first.close();
    await waiting.close();
    const [again, hello] = await openWithHello(gateway.base, cookie);
    expect(hello.resumed?.session.username).toBe('client1');
    expect(childrenOf(gateway.process.child.pid ?? -1).filter(isAlive)).toEqual(pids);
    expect(await again.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });

    // Signing out in one tab signs out the others at once.
    const other = await Browser.open(gateway.base, cookie);
    expect(await again.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
    expect(await other.event('sessionEnded')).toMatchObject({ reason: 'signedOut' });
    await eventually(() => pids.every((pid) => !isAlive(pid)), 10_000, 'the child to exit');
    await again.close();
    await other.close();
  });

  it('another browser without the cookie, or with a forged one, gets nothing of the session', async () => {
    const cookie = await gatewayCookie(gateway.base, gateway.token);
    const owner = await Browser.open(gateway.base, cookie);
    expect(await owner.signIn('client2')).toMatchObject({ type: 'signedIn' });
    const [name, value = ''] = cookie.split('=');
    const [version, browserId, issued, mac] = value.split('.');

    // A second browser profile, with a cookie of its own: its own (signed-out) session.
    const otherProfile = await gatewayCookie(gateway.base, gateway.token);
    const [stranger, hello] = await openWithHello(gateway.base, otherProfile);
    expect(hello.resumed).toBeUndefined();
    expect(await stranger.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    await stranger.close();

    // No cookie; the owner's browser id with a made-up MAC; another id under the owner's MAC;
    // the owner's cookie with its date moved: all refused before any page secret.
    const forged = [
      '',
      `${name}=${version}.${browserId}.${issued}.${'A'.repeat(43)}`,
      `${name}=${version}.${'B'.repeat(22)}.${issued}.${mac}`,
      `${name}=${version}.${browserId}.${String(Number(issued) + 1)}.${mac}`,
      `${name}=v2.${browserId}.${issued}.${mac}`,
    ];
    for (const each of forged) expect(await sessionStatus(gateway.base, each)).toBe(401);

    // The owner's real cookie, sent by a page of another origin: no secret, no socket.
    expect(await sessionStatus(gateway.base, cookie, 'http://127.0.0.1:5173')).toBe(403);
    expect(
      await upgradeStatus(`${gateway.base.replace('http:', 'ws:')}/ws`, {
        cookie,
        origin: 'http://127.0.0.1:5173',
      }),
    ).toBe(403);
    await owner.request({ type: 'signOut' });
    await owner.close();
  });

  it('a tab closed and opened again within the grace period finds the session; after it, the session is gone', async () => {
    const short = await gatewayFor(server.port, ['--detached-grace', '1']);
    const cookie = await gatewayCookie(short.base, short.token);
    const tab = await Browser.open(short.base, cookie);
    expect(await tab.signIn('client3')).toMatchObject({ type: 'signedIn' });
    const [pid] = childrenOf(short.process.child.pid ?? -1).filter(isAlive);
    await tab.close();
    await eventually(() => pid === undefined || !isAlive(pid), 10_000, 'the child to exit');
    const later = await Browser.open(short.base, cookie);
    expect(await later.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    await later.close();
  });
});

describe('the cookie across gateway restarts', () => {
  it('a restarted gateway knows the cookie; a new cookie key (or data folder) does not', async () => {
    const data = mkdtempSync(join(tmpdir(), 'sealed-mail-gateway-data-'));
    stopLater.push(() => {
      rmSync(data, { recursive: true, force: true });
      return Promise.resolve();
    });
    const first = await gatewayFor(server.port, ['--data', data]);
    const cookie = await gatewayCookie(first.base, first.token);
    const tab = await Browser.open(first.base, cookie);
    expect(await tab.signIn('client4')).toMatchObject({ type: 'signedIn' });
    const port = new URL(first.base).port;
    // The key is a private file of the data folder.
    const keyFile = join(data, COOKIE_KEY_FILE);
    expect(lstatSync(keyFile).mode & 0o777).toBe(0o600);
    expect(lstatSync(data).mode & 0o777).toBe(0o700);
    await first.stop();
    await tab.closed;

    // The same port and data folder: no new link needed; the user signs in again.
    const second = await gatewayFor(server.port, ['--data', data, '--listen', `127.0.0.1:${port}`]);
    expect(second.base).toBe(first.base);
    expect(second.token).not.toBe(first.token);
    expect(await sessionStatus(second.base, cookie)).toBe(200);
    const back = await Browser.open(second.base, cookie);
    expect(await back.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    expect(await back.signIn('client4')).toMatchObject({ type: 'signedIn' });
    await back.request({ type: 'signOut' });
    await back.close();
    await second.stop();

    // The key replaced (as deleting the file does): every cookie given before is worthless.
    rmSync(keyFile);
    const third = await gatewayFor(server.port, ['--data', data, '--listen', `127.0.0.1:${port}`]);
    expect(await sessionStatus(third.base, cookie)).toBe(401);
    expect(readFileSync(keyFile)).toHaveLength(32);
    // A cookie of a gateway with another data folder (another key) is refused too.
    const elsewhere = await gatewayFor(server.port);
    const foreign = (await gatewayCookie(elsewhere.base, elsewhere.token)).replace(
      /^[^=]+/,
      cookie.split('=')[0] ?? '',
    );
    expect(await sessionStatus(third.base, foreign)).toBe(401);
  });

  it('never reads the key through a link, and refuses a key file that is not one', () => {
    const data = mkdtempSync(join(tmpdir(), 'sealed-mail-gateway-data-'));
    try {
      const elsewhere = join(data, 'planted');
      writeFileSync(elsewhere, Buffer.alloc(32, 7), { mode: 0o600 });
      symlinkSync(elsewhere, join(data, COOKIE_KEY_FILE));
      expect(() => BrowserCookies.fromDataFolder(data)).toThrow(/symbolic link/);
      rmSync(join(data, COOKIE_KEY_FILE));
      writeFileSync(join(data, COOKIE_KEY_FILE), 'short', { mode: 0o600 });
      expect(() => BrowserCookies.fromDataFolder(data)).toThrow(/not a cookie key/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('a mail server that goes away mid-session', () => {
  let doomed: RunningServer;
  let gateway: RunningGateway;

  beforeAll(async () => {
    doomed = await startMailServer(serverHome(keys.dir));
    gateway = await gatewayFor(doomed.port);
  });

  const crash = async (running: RunningServer): Promise<void> => {
    // A crash, not a shutdown: the server and its session processes vanish at once.
    const serverPid = running.process.child.pid ?? -1;
    for (const victim of [serverPid, ...descendantsOf(serverPid)]) process.kill(victim, 'SIGKILL');
    await running.process.exited;
  };

  it('keeps the session, refuses requests clearly meanwhile, and resumes on the same port', async () => {
    const tab = await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
    expect(await tab.signIn('client1')).toMatchObject({ type: 'signedIn' });
    const [pid] = childrenOf(gateway.process.child.pid ?? -1).filter(isAlive);
    await crash(doomed);
    const lost = await tab.event('serverConnection');
    expect(lost).toMatchObject({ state: 'lost', attempts: 0 });
    expect(lost.state === 'lost' && lost.retryInMs).toBeGreaterThanOrEqual(400);
    expect(await tab.request({ type: 'listInbox' })).toMatchObject({ code: 'SERVER_DOWN' });
    expect(
      await tab.request({ type: 'send', to: ['client2'], title: 'meanwhile', content: 'x' }),
    ).toMatchObject({ code: 'SERVER_DOWN' });
    // It keeps trying, with longer waits.
    const next = await tab.event('serverConnection', 10_000);
    expect(next).toMatchObject({ state: 'lost', attempts: 1 });

    doomed = await startMailServer(serverHome(keys.dir), ['--port', String(doomed.port)]);
    stopLater.push(() => doomed.stop());
    expect(await tab.request({ type: 'reconnectNow' })).toMatchObject({ type: 'reconnecting' });
    await tab.next(
      (reply) => reply.type === 'serverConnection' && reply.state === 'restored',
      30_000,
    );
    expect(isAlive(pid ?? -1)).toBe(true);
    const inbox = await tab.request({ type: 'listInbox' });
    expect(inbox.type).toBe('inbox');
    // The new-mail watch runs again.
    const writer = await Browser.open(
      gateway.base,
      await gatewayCookie(gateway.base, gateway.token),
    );
    await writer.signIn('client2');
    await writer.request({ type: 'send', to: ['client1'], title: 'after', content: 'back' });
    const fresh = await tab.event('newMail');
    expect(fresh.items.map((item) => item.title)).toContain('after');
    await writer.close();
    await tab.close();
  });

  it('ends the session with a clear message when the password was changed meanwhile', async () => {
    const tab = await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
    expect(await tab.signIn('client3')).toMatchObject({ type: 'signedIn' });
    await crash(doomed);
    await tab.event('serverConnection');
    const passwords = join(serverHome(keys.dir), 'user_pass.json');
    const records = JSON.parse(readFileSync(passwords, 'utf8')) as Record<string, string>;
    writeFileSync(passwords, JSON.stringify({ ...records, client3: 'a-new-password' }));
    doomed = await startMailServer(serverHome(keys.dir), ['--port', String(doomed.port)]);
    stopLater.push(() => doomed.stop());
    await tab.request({ type: 'reconnectNow' });
    const ended = await tab.event('sessionEnded', 30_000);
    expect(ended.reason).toBe('passwordChanged');
    expect(ended.message).toMatch(/refused the password of client3 .* Sign in again/);
    expect(await tab.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    await tab.close();
  });
});
