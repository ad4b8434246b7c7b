/**
 * Clients that start a login and never finish it, against real servers: they may not hold
 * session processes past the login deadline, one address may not fill the pool, and a refused
 * login frees its process at once. The attacker connects from 127.0.0.2, the honest client
 * from 127.0.0.1.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptLogin } from '../../protocol/classic/login.js';
import { encodeClientHello } from '../../protocol/enhanced/messages.js';
import { newEphemeralKey } from '../../protocol/enhanced/key-schedule.js';
import { encodeFrame } from '../../protocol/framing.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  args: string[],
  script?: string,
): Promise<{ dir: string; server: RunningServer }> {
  const keys = await makeKeySetup(['client1', 'client2']);
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), args, script);
  cleanups.push(() => server.stop());
  return { dir: keys.dir, server };
}

/** An attacker's connection (from 127.0.0.2) that sends `bytes` and then neither speaks nor closes. */
async function stalled(port: number, bytes: Buffer, localAddress = '127.0.0.2'): Promise<Socket> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    localAddress,
    allowHalfOpen: true,
  });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(bytes);
  cleanups.push(() => {
    socket.destroy();
  });
  return socket;
}

/** Resolves when the server has closed its side (the attacker never closes its own). */
const closedByServer = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) resolve();
    socket.once('end', () => {
      resolve();
    });
    socket.once('close', () => {
      resolve();
    });
    socket.resume();
  });

const hello = (): Buffer =>
  encodeFrame(
    encodeClientHello({
      version: 2,
      random: randomBytes(32),
      ephemeralPublic: newEphemeralKey().publicRaw,
    }),
  );

describe('logins that are never finished', () => {
  it('enhanced: 20 stalled handshakes from one address leave the pool to everyone else', async () => {
    const { dir, server } = await setup(
      ['--max-sessions', '10', '--spare', '10'],
      'mail-server/main-enhanced.js',
    );
    const attack = await Promise.all(
      Array.from({ length: 20 }, () => stalled(server.port, hello())),
    );
    // The attacker holds at most --max-logins-per-address (8) processes; the rest wait in the parent.
    const client = await signIn(server.port, dir, 'client1', 'password1', 'enhanced');
    await client.terminate();
    expect(attack.filter((socket) => !socket.destroyed)).toHaveLength(20);
  });

  it('classic: a recorded login replayed 20 times from one address leaves the pool to everyone else', async () => {
    const { dir, server } = await setup(['--max-sessions', '10', '--spare', '10']);
    const keys = setupKeys(dir, 'client1');
    const recorded = encodeFrame(
      encryptLogin(keys.serverPublicKey, { username: 'client1', password: 'password1' }),
    );
    await Promise.all(Array.from({ length: 20 }, () => stalled(server.port, recorded)));
    const client = await signIn(server.port, dir, 'client2');
    await client.terminate();
  });

  it('a login that stops half-way is closed at the login deadline, in the session process too', async () => {
    const { dir, server } = await setup(['--login-timeout', '1']);
    const keys = setupKeys(dir, 'client1');
    // The whole first frame arrives (so the parent hands it over); the "OK" never does.
    const replayed = await stalled(
      server.port,
      encodeFrame(
        encryptLogin(keys.serverPublicKey, { username: 'client1', password: 'password1' }),
      ),
    );
    await closedByServer(replayed);
    await server.process.waitForRecord(
      'session ended',
      { code: 'LOGIN_TIMEOUT' },
      { timeoutMs: 5000 },
    );
    // "Connection Accepted" was printed for it, so its end is printed too.
    await server.process.waitForLine(
      (line) => line === 'Terminating connection with client1.',
      5000,
      'stdout',
    );
  });

  it('closes connections from one address beyond --max-pending-per-address', async () => {
    const { dir, server } = await setup(['--max-pending-per-address', '5']);
    const held = await Promise.all(
      Array.from({ length: 5 }, () => stalled(server.port, Buffer.from([0]))),
    );
    const sixth = await stalled(server.port, Buffer.from([0]));
    await closedByServer(sixth);
    expect(held.every((socket) => !socket.destroyed)).toBe(true);
    // Another address is not affected.
    const client = await signIn(server.port, dir, 'client1');
    await client.terminate();
  });

  it("does not count this host's own 127.0.0.1 (its users, its web gateway) unless told to", async () => {
    const { dir, server } = await setup(['--max-pending-per-address', '5']);
    const held = await Promise.all(
      Array.from({ length: 6 }, () => stalled(server.port, Buffer.from([0]), '127.0.0.1')),
    );
    // A seventh connection from 127.0.0.1, and it logs in: none of the six was refused for it.
    const client = await signIn(server.port, dir, 'client1');
    await client.terminate();
    expect(held.every((socket) => !socket.destroyed && !socket.readableEnded)).toBe(true);

    const { server: strict } = await setup([
      '--max-pending-per-address',
      '5',
      '--address-limit-exceptions',
      'none',
    ]);
    await Promise.all(
      Array.from({ length: 5 }, () => stalled(strict.port, Buffer.from([0]), '127.0.0.1')),
    );
    await closedByServer(await stalled(strict.port, Buffer.from([0]), '127.0.0.1'));
  });
});

describe('the waiting room (connections before their first message)', () => {
  /** A connection from `localAddress` that never sends a byte; resolves once connected. */
  async function silentFrom(port: number, localAddress: string): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => undefined);
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  }

  /** Resolves once `count` of `sockets` have been closed by the server. */
  function closures(sockets: readonly Socket[]): { atLeast: (count: number) => Promise<void> } {
    let closed = 0;
    const waiters: { count: number; resolve: () => void }[] = [];
    for (const socket of sockets)
      socket.once('close', () => {
        closed++;
        for (const waiter of waiters.filter(({ count }) => closed >= count)) waiter.resolve();
      });
    return {
      atLeast: (count) =>
        new Promise((resolve) => {
          if (closed >= count) resolve();
          else waiters.push({ count, resolve });
        }),
    };
  }

  it.each([
    ['classic', 'mail-server/main.js'],
    ['enhanced', 'mail-server/main-enhanced.js'],
  ] as const)(
    '%s: 21 addresses filling a room of 200 with silent connections do not keep a quiet address out',
    async (channel, script) => {
      const { dir, server } = await setup(['--max-waiting', '200'], script);
      const addresses = Array.from({ length: 21 }, (_, i) => `127.0.0.${i + 2}`);
      const silent = await Promise.all(
        addresses.flatMap((address) =>
          Array.from({ length: 20 }, () => silentFrom(server.port, address)),
        ),
      );
      const closed = closures(silent);
      // 420 for a room of 200: the server has closed 220 of them once it has seen them all.
      await closed.atLeast(220);
      // Six honest logins from 127.0.0.1, one after another: each is let in (before: 0 of 6).
      for (let i = 0; i < 6; i++) {
        const client = await signIn(server.port, dir, 'client1', 'password1', channel);
        await client.terminate();
      }
      // The first made room by shedding the oldest connection of an address holding the most;
      // after it the room had a free place each time.
      await closed.atLeast(221);
      const held = addresses.map(
        (address) =>
          silent.filter((socket) => socket.localAddress === address && !socket.destroyed).length,
      );
      expect(held.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(199);
      // Shed from the addresses holding the most: none holds much more than its share of 200.
      expect(Math.max(...held)).toBeLessThanOrEqual(11);
    },
  );
});
