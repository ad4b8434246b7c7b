/**
 * Attacks on the running programs that must fail: escape sequences aimed at terminals, parallel
 * guesses when a lock expires, a restart that would lift a lock, usernames told apart by
 * timing, emails meant to flood logs and inboxes, and servers that answer the classic client
 * in ways it must not misread.
 */
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientClassicLogin } from '../../protocol/classic/login.js';
import { isProtocolError } from '../../protocol/errors.js';
import { FramedSocket } from '../../protocol/framing.js';
import { connectTcp } from '../../gateway/protocol-client/connect.js';
import { classicLoginFrom, inParallel, signIn } from '../helpers/client.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer } from '../helpers/server.js';
import { adminPortOf, scrape, waitFor, waitForMetric } from '../helpers/server-state.js';
import { sampleValue } from '../helpers/prometheus-text.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(args: string[] = [], users = ['client1', 'client2', 'client3']) {
  const keys = await makeKeySetup(users);
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), args);
  cleanups.push(() => server.stop());
  return { dir: keys.dir, server };
}

const ESC = '\u001b';

/** A server on loopback that does what the test says with each connection. */
async function fakeServer(onConnection: Parameters<typeof createServer>[1]): Promise<number> {
  const server: Server = createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/**
 * What the throttle's book holds after `failures` wrong passwords for `user` from `address`,
 * its last lock run out a second ago: written to the home before the server starts, so that
 * a test of what the next lock does need not wait for the earlier ones (1 s, 2 s, 4 s, ...).
 */
function seedExpiredLock(home: string, user: string, address: string, failures: number): void {
  const now = Date.now();
  const lastFailure = now - 5000;
  const entries = {
    [`ua:${user}@${address}`]: { failures, lockedUntil: now - 1000, lastFailure },
    [`u:${user}`]: { failures, lockedUntil: 0, lastFailure },
    [`a:${address}`]: { failures, lockedUntil: 0, lastFailure },
  };
  writeFileSync(
    join(home, 'login-throttle.classic.json'),
    `${JSON.stringify({ entries, knownDevices: {} })}\n`,
    { mode: 0o600 },
  );
}

function terminalClient(port: number, cwd: string, lines: string[], extra: string[] = []) {
  return runNode('gateway/terminal/main.js', ['--port', String(port), ...extra], {
    cwd,
    input: `${lines.join('\n')}\n`,
  });
}

describe('escape sequences never reach a terminal', () => {
  it('an email full of them is stored byte for byte but shown inert, on the server console and in the client', async () => {
    const { dir, server } = await setup();
    const title = `Invoice ${ESC}[2J${ESC}]0;owned\u0007\u202Egnp.exe`;
    const content = `${ESC}[1A${ESC}[2KFrom: client1\r\nTitle: forged\n\u009b31m red`;
    const sender = await signIn(server.port, dir, 'client3');
    await sender.send({ to: ['client2', `${ESC}[31mghost`], title, content });
    await sender.terminate();
    // Stored exactly as sent.
    const [file] = readdirSync(inboxOf(dir, 'client2'));
    expect(file).toBeDefined();
    // The server console: the recipient name's escape is shown, not obeyed.
    const line = await server.process.waitForLine(
      (text) => text.startsWith('An email from client3'),
      15_000,
      'stdout',
    );
    expect(line).not.toContain(ESC);
    expect(line).toContain('␛[31mghost');
    // The terminal client: listing and display show the sequences as symbols.
    const { stdout } = await terminalClient(server.port, join(dir, 'client2'), [
      '127.0.0.1',
      'client2',
      'password2',
      '2',
      '3',
      '1',
      '4',
    ]);
    expect(stdout).not.toContain(ESC);
    expect(stdout).not.toContain('\u009b');
    expect(stdout).not.toContain('\u202E');
    expect(stdout).not.toContain('\r');
    expect(stdout).toContain('Title: Invoice ␛[2J␛]0;owned␇');
    expect(stdout).toContain('␛[1A␛[2KFrom: client1␍\nTitle: forged');
    const reader = await signIn(server.port, dir, 'client2');
    const read = await reader.read(1);
    expect(read.kind === 'email' ? read.email?.content : undefined).toBe(content);
    await reader.terminate();
  });
});

describe('the login throttle against real servers', () => {
  it('lets exactly one of 40 parallel guesses through when a lock expires', async () => {
    const keys = await makeKeySetup(['client1', 'client2', 'client3']);
    cleanups.push(keys.cleanup);
    // Six failures, the last lock (4 s) run out: the next checked guess locks client2 for 8 s.
    seedExpiredLock(serverHome(keys.dir), 'client2', '127.0.0.1', 6);
    const server = await startMailServer(serverHome(keys.dir), [
      '--spare',
      '10',
      '--max-sessions',
      '50',
    ]);
    cleanups.push(() => server.stop());
    const serverKeys = setupKeys(keys.dir, 'client2');
    const guess = async (password: string): Promise<void> => {
      const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port: server.port }));
      await clientClassicLogin(framed, { username: 'client2', password }, serverKeys).then(
        () => undefined,
        () => undefined,
      );
      framed.destroy();
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => guess(`parallel${i}`)));
    // Each session process says what it did with its guess: checked and refused, or refused by
    // the throttle unchecked. Waited for until all 40 are said (the last may be said just after
    // its client saw the refusal), then counted.
    const { checked, throttled } = await waitFor('the 40 guesses recorded', () => {
      const counted = {
        checked: server.process.records('login refused').length,
        throttled: server.process.records('login throttled').length,
      };
      return counted.checked + counted.throttled >= 40 ? counted : undefined;
    });
    // One guess per lock period: the first admitted one locks client2 for 8 s, longer than
    // the burst takes even on a loaded machine (before, 10 of the 40 were checked).
    expect(checked).toBe(1);
    expect(throttled).toBeGreaterThanOrEqual(39);
  });

  it('keeps a lock through a restart of the server', async () => {
    const keys = await makeKeySetup(['client1', 'client2']);
    cleanups.push(keys.cleanup);
    const home = serverHome(keys.dir);
    // Six failures, the last lock run out: the next wrong password locks client2 for 8 s.
    seedExpiredLock(home, 'client2', '127.0.0.1', 6);
    let server = await startMailServer(home);
    await expect(signIn(server.port, keys.dir, 'client2', 'wrong')).rejects.toSatisfy((error) =>
      isProtocolError(error, 'LOGIN_REJECTED'),
    );
    await server.stop();
    server = await startMailServer(home, ['--admin-listen', '127.0.0.1:0']);
    cleanups.push(() => server.stop());
    // Still locked: the right password is refused like a wrong one, by the throttle (it counts
    // the login as throttled, not as refused after a check).
    await expect(signIn(server.port, keys.dir, 'client2')).rejects.toSatisfy((error) =>
      isProtocolError(error, 'LOGIN_REJECTED'),
    );
    const admin = adminPortOf(server);
    await waitForMetric(
      admin,
      'sealed_mail_logins_total',
      { outcome: 'throttled' },
      (n) => n === 1,
    );
    expect(
      sampleValue(await scrape(admin), 'sealed_mail_logins_total', { outcome: 'refused' }),
    ).toBe(0);
  });
});

describe("the throttle's book under a flood of unknown names", () => {
  const GUESSER = '127.0.0.2';

  /**
   * What the book holds after the guesser's seven wrong guesses for client4 from 127.0.0.2,
   * once its 16 s lock has run out: written to the home before the server starts, so that the
   * test does not wait 15 s for the lock to grow. The next checked guess would lock for 32 s.
   */
  function seedGrownLock(home: string): void {
    const now = Date.now();
    const guessed = { failures: 7, lockedUntil: now - 1000, lastFailure: now - 17_000 };
    const counted = { failures: 7, lockedUntil: 0, lastFailure: now - 17_000 };
    const entries = {
      [`ua:client4@${GUESSER}`]: guessed,
      'u:client4': counted,
      [`a:${GUESSER}`]: counted,
    };
    writeFileSync(
      join(home, 'login-throttle.classic.json'),
      `${JSON.stringify({ entries, knownDevices: {} })}\n`,
      { mode: 0o600 },
    );
  }

  /** `logins` failed logins for made-up names, spread over `addresses` loopback addresses. */
  async function flood(port: number, dir: string, logins: number, addresses: number) {
    const from = (i: number): string => {
      const n = i % addresses;
      return `127.1.${Math.floor(n / 250)}.${1 + (n % 250)}`;
    };
    const results = await inParallel(
      Array.from(
        { length: logins },
        (_, i) => () =>
          classicLoginFrom(port, dir, { username: `nobody${i}`, password: 'guess' }, from(i)),
      ),
      16,
    );
    expect(results.every((result) => result === 'refused')).toBe(true);
  }

  /** The guesser's next three wrong guesses and the right password, back to back. */
  async function guessAgain(port: number, dir: string): Promise<string[]> {
    const outcomes: string[] = [];
    for (const password of ['wrong-a', 'wrong-b', 'wrong-c', 'password4'])
      outcomes.push(await classicLoginFrom(port, dir, { username: 'client4', password }, GUESSER));
    return outcomes;
  }

  async function floodThenGuess(args: string[], logins: number, addresses: number) {
    const keys = await makeKeySetup(['client1', 'client2', 'client3', 'client4']);
    cleanups.push(keys.cleanup);
    seedGrownLock(serverHome(keys.dir));
    const server = await startMailServer(serverHome(keys.dir), ['--max-use', '100000', ...args]);
    cleanups.push(() => server.stop());
    await flood(server.port, keys.dir, logins, addresses);
    // One guess is checked (and locks for 32 s); the rest, the right password too, are refused.
    expect(await guessAgain(server.port, keys.dir)).toEqual([
      'refused',
      'refused',
      'refused',
      'refused',
    ]);
    // The right password it was: the owner, from another address, gets in with it.
    expect(
      await classicLoginFrom(
        server.port,
        keys.dir,
        { username: 'client4', password: 'password4' },
        '127.0.0.1',
      ),
    ).toBe('accepted');
  }

  it('a book of 200: 300 failed logins for made-up names from 20 addresses do not free the guesser', async () => {
    await floodThenGuess(['--throttle-max-entries', '200'], 300, 20);
  });
});

describe('usernames cannot be told apart by timing', () => {
  it('with hashed passwords, an unknown user costs what a known user with a wrong password costs', async () => {
    const keys = await makeKeySetup(['client1', 'client2']);
    cleanups.push(keys.cleanup);
    await runNode('scripts/keygen.js', [
      '--out',
      keys.dir,
      '--users',
      'client1,client2',
      '--hash',
      '--force',
    ]);
    const server = await startMailServer(serverHome(keys.dir), ['--spare', '2']);
    cleanups.push(() => server.stop());
    const serverKeys = setupKeys(keys.dir, 'client1', 'password1');
    const attempt = async (username: string): Promise<number> => {
      const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port: server.port }));
      const started = performance.now();
      await clientClassicLogin(framed, { username, password: 'not-it' }, serverKeys).catch(
        () => undefined,
      );
      const elapsed = performance.now() - started;
      framed.destroy();
      return elapsed;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that the machine's load falls on both alike.
    for (let i = 0; i < 30; i++) {
      known.push(await attempt('client1'));
      unknown.push(await attempt(`nobody${i}`));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[15] ?? 0;
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});

describe('emails meant to flood', () => {
  it('refuses an email to 300,000 names with one log line, and stores nothing', async () => {
    const { dir, server } = await setup();
    const names = Array.from({ length: 300_000 }, (_, i) => `u${i}`).join(';');
    const raw = `From: client1\nTo: client2;${names}\nTitle: flood\nContent Length: 1\nContent:\nx`;
    const client = await signIn(server.port, dir, 'client1');
    // Past the client library's own checks, as an attacker's client would send it.
    const { framed, channel } = await (
      await import('../helpers/client.js')
    ).rawSession(server.port, dir, 'client1');
    await channel.send('1');
    await channel.receive();
    await channel.send(raw);
    await channel.receive();
    framed.destroy();
    await client.terminate();
    const record = await server.process.waitForRecord(
      'email rejected, not stored',
      { user: 'client1' },
      { timeoutMs: 5000 },
    );
    expect(record.problem).toBe('TOO_MANY_RECIPIENTS');
    const [line = ''] = server.process.stderrLines.filter((text) =>
      text.includes('"TOO_MANY_RECIPIENTS"'),
    );
    expect(line.length).toBeGreaterThan(0);
    expect(line.length).toBeLessThan(1000);
    expect(readdirSync(inboxOf(dir, 'client2'))).toEqual([]);
  });

  it('refuses a copy that would take an inbox past its quota, and stores it for the others', async () => {
    const { dir, server } = await setup(['--inbox-quota-mb', '1']);
    const sender = await signIn(server.port, dir, 'client1');
    const big = 'x'.repeat(600_000);
    await sender.send({ to: ['client2'], title: 'one', content: big });
    await sender.send({ to: ['client2', 'client3'], title: 'two', content: big });
    await sender.terminate();
    expect(readdirSync(inboxOf(dir, 'client2'))).toEqual(['client1_one.txt']);
    expect(readdirSync(inboxOf(dir, 'client3'))).toEqual(['client1_two.txt']);
    await server.process.waitForRecord(
      'email refused: inbox full',
      { user: 'client1', recipient: 'client2' },
      { timeoutMs: 5000 },
    );
  });

  it('counts what other session processes delivered into an inbox its own never listed', async () => {
    // One client per process: each sender's process counts the recipient's quota from the
    // index files alone (mail-server/store/seed-files-usage.ts), never listing that inbox.
    const { dir, server } = await setup(['--inbox-quota-mb', '1']);
    const first = await signIn(server.port, dir, 'client1');
    const second = await signIn(server.port, dir, 'client3');
    const third = 'x'.repeat(400_000);
    await first.send({ to: ['client2'], title: 'one', content: third });
    await second.send({ to: ['client2'], title: 'two', content: third });
    // 800 KB stored by two processes: a third 400 KB passes the 1 MB quota only if the first
    // process missed what the second delivered.
    await first.send({ to: ['client2'], title: 'three', content: third });
    await first.terminate();
    await second.terminate();
    expect(readdirSync(inboxOf(dir, 'client2')).sort()).toEqual([
      'client1_one.txt',
      'client3_two.txt',
    ]);
    await server.process.waitForRecord(
      'email refused: inbox full',
      { user: 'client1', recipient: 'client2' },
      { timeoutMs: 5000 },
    );
  });
});

describe('the classic client reads its server right', () => {
  it('takes an unframed "Invalid username or password" as the refusal it is', async () => {
    const { dir } = await setup();
    const port = await fakeServer((socket) => {
      socket.once('data', () => socket.end('Invalid username or password'));
    });
    const { stdout, code } = await terminalClient(port, join(dir, 'client1'), [
      '127.0.0.1',
      'client1',
      'password1',
    ]);
    expect(stdout).toContain('Invalid username or password.\nTerminating.\n');
    expect(code).toBe(1);
  });

  it('says what a server of another protocol sent, and stops waiting for one that never answers', async () => {
    const { dir } = await setup();
    const http = await fakeServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    });
    const other = await terminalClient(http, join(dir, 'client1'), [
      '127.0.0.1',
      'client1',
      'password1',
    ]);
    expect(other.stdout).toContain('did not answer the login as a mail server of this protocol');
    expect(other.stdout).toContain('"HTTP/1.1…"');
    const silent = await fakeServer(() => undefined);
    const started = Date.now();
    const mute = await terminalClient(
      silent,
      join(dir, 'client1'),
      ['127.0.0.1', 'client1', 'password1'],
      ['--timeout', '1'],
    );
    expect(mute.stdout).toContain('The server did not answer within 1 s');
    expect(mute.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('prints the end of a session whose client leaves between the key and its "OK"', async () => {
    const { dir, server } = await setup();
    const keys = setupKeys(dir, 'client1');
    const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port: server.port }));
    const { encryptLogin } = await import('../../protocol/classic/login.js');
    await framed.write(
      encryptLogin(keys.serverPublicKey, { username: 'client1', password: 'password1' }),
    );
    await framed.read();
    framed.destroy();
    // The specification's console lines (stdout), the behaviour this test checks.
    await server.process.waitForLine(
      (line) => line === 'Connection Accepted and Symmetric Key Generated for client: client1',
      15_000,
      'stdout',
    );
    await server.process.waitForLine(
      (line) => line === 'Terminating connection with client1.',
      15_000,
      'stdout',
    );
  });
});
