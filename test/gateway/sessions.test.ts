/**
 * Browser sessions end to end: `ws` clients against the built gateway process, which forks
 * one session child per signed-in browser, against a real mail server.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmailView, InboxItem, Reply } from '../../gateway/messages.js';
import {
  Browser,
  descendantsOf,
  childrenOf,
  eventually,
  gatewayCookie,
  isAlive,
  makeWebRoot,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

/** The gateway refuses to start without a built UI; these tests use the build's. */
const builtWebRoot = join(repoRoot, 'web', 'dist');

type Of<K extends Reply['type']> = Extract<Reply, { type: K }>;

describe('gateway sessions', () => {
  let keys: { dir: string; cleanup: () => void };
  let web: { dir: string; cleanup: () => void };
  let server: RunningServer;
  let gateway: RunningGateway;
  /** A browser of its own (its own cookie, so its own session): a tab of each. */
  const open = async (): Promise<Browser> =>
    Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
  /** With no spare process, the gateway's children are exactly its session children. */
  const sessionPids = (): number[] => childrenOf(gateway.process.child.pid ?? -1).filter(isAlive);

  beforeAll(async () => {
    keys = await makeKeySetup(['client1', 'client2', 'client3', 'client4', 'client5']);
    web = makeWebRoot();
    server = await startMailServer(serverHome(keys.dir));
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${server.port}`,
      '--web-root',
      web.dir,
      '--poll',
      '1',
      '--spare',
      '0',
      '--sign-in-limit',
      '1000',
      // A closed tab ends its session at once here (the grace period has tests of its own).
      '--detached-grace',
      '0',
      '--log-level',
      'debug',
    ]);
  });

  afterEach((context) => {
    // The gateway's own account of what happened, when a test fails.
    if (context.task.result?.state === 'fail')
      console.log(gateway.process.stderrLines.slice(-40).join('\n'));
  });

  afterAll(async () => {
    await gateway.stop();
    await server.stop();
    web.cleanup();
    keys.cleanup();
  });

  it('signs in, sends to two recipients, lists, reads and signs out', async () => {
    const alice = await open();
    const signedIn = await alice.signIn('client1');
    expect(signedIn).toMatchObject({
      type: 'signedIn',
      username: 'client1',
      server: `127.0.0.1:${server.port}`,
      protocol: 'classic',
    });
    const sent = await alice.request({
      type: 'send',
      to: ['client2', 'client3'],
      title: 'Lunch',
      content: 'At noon?\nBring the map.',
    });
    expect(sent).toEqual({
      type: 'sent',
      id: sent.type === 'sent' ? sent.id : -1,
      recipients: ['client2', 'client3'],
      sentId: expect.stringMatching(/^\d{8}-\d{6}-\d{6}-[0-9a-f]{8}$/) as string,
      // Every recipient's key is in the keyring: sealed, on the classic protocol too.
      sealed: expect.objectContaining({ withoutKey: [] }) as unknown,
    });
    expect(await alice.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });

    for (const user of ['client2', 'client3']) {
      const reader = await open();
      await reader.signIn(user);
      const inbox = (await reader.request({ type: 'listInbox' })) as Of<'inbox'>;
      expect(inbox.type).toBe('inbox');
      const item = inbox.items.find((row: InboxItem) => row.title === 'Lunch');
      expect(item).toMatchObject({ from: 'client1', title: 'Lunch' });
      const read = (await reader.request({ type: 'read', index: item?.index ?? 0 })) as Of<'email'>;
      expect(read.type).toBe('email');
      const email: EmailView = read.email;
      expect(email).toMatchObject({
        from: 'client1',
        to: ['client2', 'client3'],
        title: 'Lunch',
        content: 'At noon?\nBring the map.',
        contentLength: 23,
      });
      expect(email.raw).toContain('Title: Lunch\n');
      expect(await reader.request({ type: 'read', index: 99 })).toMatchObject({
        type: 'error',
        code: 'INVALID_INDEX',
      });
      expect(await reader.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
      // Signed out, the socket stays and a request says so.
      expect(await reader.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
      await reader.close();
    }
    await alice.close();
  });

  it('carries a 1,000,000-character email there and back', async () => {
    const content = 'a€😀\n'.repeat(250_000);
    const browser = await open();
    await browser.signIn('client4');
    expect(
      // Too long to be sealed on the classic protocol: sent unsealed, as the composer says.
      await browser.request({
        type: 'send',
        to: ['client4'],
        title: 'Big one',
        content,
        unsealed: true,
      }),
    ).toMatchObject({ type: 'sent' });
    const inbox = (await browser.request({ type: 'listInbox' })) as Of<'inbox'>;
    const item = inbox.items.find((row) => row.title === 'Big one');
    const read = (await browser.request({ type: 'read', index: item?.index ?? 0 })) as Of<'email'>;
    expect(read.email.contentLength).toBe(1_000_000);
    expect(read.email.content === content).toBe(true);
    await browser.close();
  });

  it('tells wrong credentials, a missing key and an unreachable server apart; a retry works', async () => {
    const browser = await open();
    expect(await browser.signIn('client1', 'not-the-password')).toMatchObject({
      type: 'error',
      code: 'WRONG_CREDENTIALS',
    });
    expect(await browser.signIn('nobody', 'password1')).toMatchObject({
      type: 'error',
      code: 'MISSING_KEY',
    });
    expect(await browser.signIn('client1', 'password1', '127.0.0.1:1')).toMatchObject({
      type: 'error',
      code: 'SERVER_UNREACHABLE',
    });
    expect(await browser.signIn('client1')).toMatchObject({ type: 'signedIn' });
    expect(await browser.signIn('client1')).toMatchObject({
      type: 'error',
      code: 'ALREADY_SIGNED_IN',
    });
    await browser.close();
  });

  it('serves two users at once from two child processes; ending one leaves the other working', async () => {
    const before = sessionPids();
    const one = await open();
    await one.signIn('client1');
    const afterOne = sessionPids();
    const pidOne = afterOne.find((pid) => !before.includes(pid));
    const two = await open();
    await two.signIn('client2');
    const pidTwo = sessionPids().find((pid) => !afterOne.includes(pid));
    expect(pidOne).toBeDefined();
    expect(pidTwo).toBeDefined();
    expect(pidOne).not.toBe(pidTwo);

    // Closing the tab ends the protocol session and the child.
    await one.close();
    await eventually(() => !isAlive(pidOne ?? -1), 10_000, 'the first child to exit');
    expect(isAlive(pidTwo ?? -1)).toBe(true);
    expect(await two.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });
    expect(
      await two.request({ type: 'send', to: ['client1'], title: 'still here', content: '' }),
    ).toMatchObject({ type: 'sent' });
    await two.close();
    await eventually(() => !isAlive(pidTwo ?? -1), 10_000, 'the second child to exit');
  });

  it('reports a killed child to its browser only; that browser can sign in again', async () => {
    const victim = await open();
    const bystander = await open();
    await bystander.signIn('client2');
    const before = sessionPids();
    await victim.signIn('client3');
    const pid = sessionPids().find((candidate) => !before.includes(candidate));
    expect(pid).toBeDefined();
    process.kill(pid ?? -1, 'SIGKILL');
    expect(await victim.event('sessionEnded')).toMatchObject({ reason: 'processDied' });
    expect(await victim.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    expect(await bystander.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });
    expect(bystander.replies.filter((reply) => reply.type === 'sessionEnded')).toEqual([]);
    expect(await victim.signIn('client3')).toMatchObject({ type: 'signedIn' });
    expect(await victim.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });
    await victim.close();
    await bystander.close();
  });

  it('keeps a signed-in session through malformed and invalid requests', async () => {
    const browser = await open();
    await browser.signIn('client5');
    const { items } = (await browser.request({ type: 'listInbox' })) as Of<'inbox'>;
    expect(await browser.sendRaw('{oops')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(
      await browser.request({ type: 'send', to: ['client1'], title: 'x'.repeat(101), content: '' }),
    ).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(
      await browser.request({ type: 'send', to: ['a;b'], title: 't', content: '' }),
    ).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(
      await browser.request({ type: 'send', to: ['client5'], title: 'fine', content: 'ok' }),
    ).toMatchObject({ type: 'sent' });
    const after = (await browser.request({ type: 'listInbox' })) as Of<'inbox'>;
    // Only the valid email arrived.
    expect(after.items.length).toBe(items.length + 1);
    expect(after.items.at(-1)?.title).toBe('fine');
    await browser.close();
  });

  it('tells a signed-in browser about new mail found in the background', async () => {
    const reader = await open();
    await reader.signIn('client4');
    const { items } = (await reader.request({ type: 'listInbox' })) as Of<'inbox'>;
    const writer = await open();
    await writer.signIn('client1');
    await writer.request({ type: 'send', to: ['client4'], title: 'ping', content: 'pong' });
    const event = await reader.event('newMail');
    expect(event.total).toBe(items.length + 1);
    expect(event.items).toEqual([
      expect.objectContaining({ index: items.length + 1, from: 'client1', title: 'ping' }),
    ]);
    await writer.close();
    await reader.close();
  });

  it('keeps the session when the mail server goes away, and signing out ends it at once', async () => {
    const doomed = await startMailServer(serverHome(keys.dir));
    const browser = await open();
    expect(await browser.signIn('client2', 'password2', `127.0.0.1:${doomed.port}`)).toMatchObject({
      type: 'signedIn',
    });
    const pid = sessionPids().at(-1);
    // A crash, not a shutdown: the server and its session processes vanish at once.
    const serverPid = doomed.process.child.pid ?? -1;
    for (const victim of [serverPid, ...descendantsOf(serverPid)]) process.kill(victim, 'SIGKILL');
    await doomed.process.exited;
    // The background check (every second here) finds the connection gone: the session
    // reconnects (test/gateway/browser-sessions.test.ts) rather than end.
    expect(await browser.event('serverConnection')).toMatchObject({ state: 'lost' });
    expect(await browser.request({ type: 'listInbox' })).toMatchObject({ code: 'SERVER_DOWN' });
    expect(await browser.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
    await eventually(() => pid === undefined || !isAlive(pid), 10_000, 'the child to exit');
    // The gateway and the other server are fine.
    expect(await browser.signIn('client2')).toMatchObject({ type: 'signedIn' });
    await browser.close();
  });
});

describe('gateway lifetime', () => {
  let keys: { dir: string; cleanup: () => void };
  let server: RunningServer;

  beforeAll(async () => {
    keys = await makeKeySetup(['client1', 'client2']);
    server = await startMailServer(serverHome(keys.dir));
  });

  afterAll(async () => {
    await server.stop();
    keys.cleanup();
  });

  const startGateway = (extra: string[] = []): Promise<RunningGateway> =>
    startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${server.port}`,
      '--web-root',
      builtWebRoot,
      ...extra,
    ]);

  it('signs out an idle session', async () => {
    const gateway = await startGateway(['--idle-timeout', '1', '--spare', '0']);
    try {
      const browser = await Browser.open(
        gateway.base,
        await gatewayCookie(gateway.base, gateway.token),
      );
      await browser.signIn('client1');
      const [pid] = childrenOf(gateway.process.child.pid ?? -1);
      expect(await browser.event('sessionEnded')).toMatchObject({ reason: 'idle' });
      await eventually(() => !isAlive(pid ?? -1), 10_000, 'the idle child to exit');
      expect(await browser.signIn('client1')).toMatchObject({ type: 'signedIn' });
      await browser.close();
    } finally {
      await gateway.stop();
    }
  });

  it('leaves no session process behind when it stops, or when it is killed', async () => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      // A spare child too, which must not be left behind either.
      const gateway = await startGateway(['--spare', '1']);
      const browsers = [
        await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token)),
        await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token)),
      ];
      await browsers[0]?.signIn('client1');
      await browsers[1]?.signIn('client2');
      const children = childrenOf(gateway.process.child.pid ?? -1);
      // Two sessions and the spare.
      expect(children.length).toBeGreaterThanOrEqual(3);
      await gateway.process.stop(signal);
      if (signal === 'SIGTERM') {
        expect((await gateway.process.exited).code).toBe(0);
        for (const browser of browsers) expect((await browser.closed).code).toBe(1001);
      }
      await eventually(
        () => children.every((pid) => !isAlive(pid)),
        10_000,
        `the children to exit after ${signal}`,
      );
    }
  });
});
