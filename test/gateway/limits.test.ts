/**
 * The gateway's limits under floods: password guesses per username, requests queued on one
 * socket, and sockets per browser address. Real gateways on real ports, their session children
 * and a real mail server. The sign-in limiter's clock is the test's, so a lock lasts exactly as
 * long as the test says.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WsCloseCode, type Reply } from '../../gateway/messages.js';
import { buildGateway, type Gateway } from '../../gateway/web-bridge/app.js';
import {
  Browser,
  gatewayCookie,
  makeWebRoot,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath, repoRoot, runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

/** The gateway refuses to start without a built UI; these tests use the build's. */
const builtWebRoot = join(repoRoot, 'web', 'dist');

type ErrorReply = Extract<Reply, { type: 'error' }>;

const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'];

describe('gateway limits', () => {
  let keys: { dir: string; cleanup: () => void };
  let web: { dir: string; cleanup: () => void };
  let server: RunningServer;
  let gateway: Gateway;
  let base: string;
  let clock = 1_000_000;
  const tabs: Browser[] = [];
  const open = async (): Promise<Browser> => {
    // A browser of its own each (its own cookie, so its own session).
    const tab = await Browser.open(base, await gatewayCookie(base, gateway.token));
    tabs.push(tab);
    return tab;
  };

  beforeAll(async () => {
    keys = await makeKeySetup(USERS);
    web = makeWebRoot();
    server = await startMailServer(serverHome(keys.dir));
    gateway = await buildGateway({
      keysDir: keys.dir,
      webRoot: web.dir,
      childScript: distPath('gateway/web-bridge/session-child.js'),
      // A session process started ahead: each of the many sign-ins here takes one.
      spareChildren: 1,
      servers: { classic: [{ host: '127.0.0.1', port: server.port }] },
      pollSeconds: 0,
      maxSocketsPerAddress: 64,
      now: () => clock,
    });
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  });

  afterAll(async () => {
    await gateway.close();
    await server.stop();
    web.cleanup();
    keys.cleanup();
  });

  it('slows a wrong-password flood against client1, and only client1', async () => {
    const attacker = await open();
    const answers: Reply[] = [];
    for (let i = 0; i < 12; i++) answers.push(await attacker.signIn('client1', `guess${i}`));
    const wrong = answers.filter(
      (reply) => reply.type === 'error' && reply.code === 'WRONG_CREDENTIALS',
    );
    const limited = answers.filter(
      (reply): reply is ErrorReply => reply.type === 'error' && reply.code === 'RATE_LIMITED',
    );
    // A few guesses reach the mail server; the rest are refused before any is sent.
    expect(wrong.length).toBeGreaterThanOrEqual(1);
    expect(wrong.length).toBeLessThanOrEqual(4);
    expect(wrong.length + limited.length).toBe(12);
    for (const reply of limited) expect(reply.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    // Another user of this gateway signs in as usual, meanwhile.
    const bystander = await open();
    expect(await bystander.signIn('client2')).toMatchObject({ type: 'signedIn' });

    // The owner's right password is refused while client1 is locked, with the time to wait...
    const owner = await open();
    const locked = await owner.signIn('client1');
    expect(locked).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    const wait = (locked as ErrorReply).retryAfterSeconds ?? 0;
    expect(wait).toBeGreaterThanOrEqual(1);
    // ...and works once that time has passed. The mail server counted the guesses that
    // reached it too, and its own throttle (on its real clock) locks client1 from this address:
    // its operator lifts that lock, as a site would, instead of the test waiting it out.
    clock += wait * 1000;
    const unlocked = await runNode('scripts/admin.js', [
      '--home',
      serverHome(keys.dir),
      'unlock',
      'client1',
    ]);
    expect(unlocked.code).toBe(0);
    expect(await owner.signIn('client1')).toMatchObject({ type: 'signedIn' });
  });

  it('doubles the wait after each further wrong password, up to a few minutes', async () => {
    const attacker = await open();
    const waits: number[] = [];
    for (let round = 0; round < 26; round++) {
      const guess = await attacker.signIn('client5', `guess${round}`);
      if (guess.type === 'error' && guess.code === 'RATE_LIMITED') {
        const wait = guess.retryAfterSeconds ?? 0;
        waits.push(wait);
        clock += wait * 1000;
      }
    }
    expect(waits.length).toBe(11);
    for (let i = 1; i < waits.length; i++) {
      const before = waits[i - 1] ?? 0;
      expect(waits[i]).toBe(Math.min(2 * before, 300));
    }
    expect(waits.slice(-2)).toEqual([300, 300]);
    clock += 300_000;
    // The gateway's wait is over: the attempt reaches the mail server. The server's own
    // throttle counted the guesses that reached it too, and may still hold client5 from this
    // address (then it answers with the ordinary refusal) or may have let it go again.
    const last = await attacker.signIn('client5');
    expect(
      last.type === 'signedIn' || (last.type === 'error' && last.code === 'WRONG_CREDENTIALS'),
    ).toBe(true);
  });

  it('lets parallel guesses from many tabs through no faster than one tab', async () => {
    const attackers = await Promise.all(Array.from({ length: 12 }, () => open()));
    const answers = await Promise.all(
      attackers.map((tab, i) => tab.signIn('client3', `parallel${i}`)),
    );
    const codes = answers.map((reply) => (reply.type === 'error' ? reply.code : reply.type));
    expect(codes.filter((code) => code === 'WRONG_CREDENTIALS').length).toBeLessThanOrEqual(4);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(8);
    const bystander = await open();
    expect(await bystander.signIn('client2')).toMatchObject({ type: 'signedIn' });
  });

  it('answers a flood of 20,000 queued requests on one socket with RATE_LIMITED beyond the cap', async () => {
    const tab = await open();
    expect(await tab.signIn('client4')).toMatchObject({ type: 'signedIn' });
    const flood = 20_000;
    const answers = new Map<number, Reply>();
    const done = new Promise<void>((resolve) => {
      tab.socket.on('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString('utf8')) as Reply;
        if ('id' in reply && reply.id !== null && reply.id >= 1000) answers.set(reply.id, reply);
        if (answers.size === flood) resolve();
      });
    });
    for (let id = 1000; id < 1000 + flood; id++)
      tab.socket.send(JSON.stringify({ type: 'listInbox', id }));
    await done;
    tab.replies.length = 0;
    const limited = [...answers.values()].filter(
      (reply): reply is ErrorReply => reply.type === 'error' && reply.code === 'RATE_LIMITED',
    );
    const listed = [...answers.values()].filter((reply) => reply.type === 'inbox');
    expect(limited.length + listed.length).toBe(flood);
    expect(limited.length).toBeGreaterThan(flood / 2);
    for (const reply of limited) expect(reply.retryAfterSeconds).toBe(1);
    // The session is still there and answers.
    expect(await tab.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });
  });
});

describe('gateway sockets per browser address', () => {
  let keys: { dir: string; cleanup: () => void };
  let gateway: RunningGateway;
  let cookie: string;

  beforeAll(async () => {
    keys = await makeKeySetup(['client1']);
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--web-root',
      builtWebRoot,
      '--spare',
      '0',
      '--max-sockets-per-address',
      '3',
    ]);
    cookie = await gatewayCookie(gateway.base, gateway.token);
  });

  afterAll(async () => {
    await gateway.stop();
    keys.cleanup();
  });

  it('closes sockets beyond --max-sockets-per-address with 4429; a closed one frees its place', async () => {
    const held = [
      await Browser.open(gateway.base, cookie),
      await Browser.open(gateway.base, cookie),
      await Browser.open(gateway.base, cookie),
    ];
    const extra = await Browser.connect(gateway.base, { cookie, origin: gateway.base });
    expect((await extra.closed).code).toBe(WsCloseCode.tooMany);
    expect(extra.replies).toEqual([]);

    await held.pop()?.close();
    // The gateway sees that close a moment after this end does: try until it has.
    let replacement: Browser | undefined;
    for (let attempt = 0; attempt < 200 && !replacement; attempt++)
      replacement = await Browser.open(gateway.base, cookie).catch(() => undefined);
    expect(replacement).toBeDefined();
    for (const tab of [...held, replacement]) await tab?.close();
  });
});
