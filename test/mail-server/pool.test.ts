/**
 * The prefork pool with real session processes (the compiled worker of dist/) and real
 * loopback sockets, watched through its events: no sleeps, no log text.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DropReport } from '../../mail-server/drop-report.js';
import { createLogger } from '../../mail-server/log.js';
import { PendingLogins } from '../../mail-server/pending-logins.js';
import { WorkerPool, type PoolOptions } from '../../mail-server/pool.js';
import { findSessionImage } from '../../mail-server/session-image.js';
import { localThrottle, ThrottleBook } from '../../mail-server/throttle/rules.js';
import { MAX_FRAME_BYTES } from '../../protocol/framing.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath } from '../helpers/processes.js';

let keys: { dir: string; cleanup: () => void };
let pool: WorkerPool | undefined;
const clients: Socket[] = [];

beforeEach(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await pool?.close();
  pool = undefined;
  keys.cleanup();
});

function startPool(options: Partial<PoolOptions> = {}): WorkerPool {
  pool = new WorkerPool(
    {
      image: findSessionImage('modules', 'off', distPath('mail-server')),
      config: {
        home: serverHome(keys.dir),
        channel: 'classic',
        store: 'maildir',
        idleTimeoutMs: 60_000,
        maxFrameBytes: MAX_FRAME_BYTES,
        maxInboxBytes: 1024 * 1024,
        logLevel: 'fatal',
      },
      maxSessions: 4,
      maxUse: 100,
      clientsPerProcess: 1,
      spare: 1,
      maxSpare: 4,
      maxIdleMs: 60_000,
      maxStarting: 4,
      maxQueue: 10,
      throttle: localThrottle(new ThrottleBook()),
      pendingLogins: new PendingLogins({ maxPerAddress: 100, maxInProcessPerAddress: 100 }),
      drops: new DropReport(createLogger('fatal')),
      ...options,
    },
    createLogger('fatal'),
  );
  return pool;
}

/** A fresh loopback connection: the server's end, and the client's (closed after the test). */
async function acceptedSocket(): Promise<{ socket: Socket; client: Socket }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect({ host: '127.0.0.1', port: (listener.address() as AddressInfo).port });
  client.on('error', () => undefined);
  clients.push(client);
  const [socket] = await accepted;
  listener.close();
  return { socket, client };
}

/** Submits the server's end of a new connection; returns both ends. */
const submit = async (into: WorkerPool): Promise<{ socket: Socket; client: Socket }> => {
  const ends = await acceptedSocket();
  into.submit(ends.socket, Buffer.alloc(0), Date.now() + 60_000, '127.0.0.1');
  return ends;
};

describe('the prefork pool', () => {
  it('starts its spares, hands a connection over and starts another spare', async () => {
    const pool = startPool({ spare: 2 });
    await pool.start();
    expect(pool.stats).toMatchObject({ workers: 2, idle: 2, starting: 0, sessions: 0 });
    const handed = once(pool, 'handed');
    const nextReady = once(pool, 'ready');
    await submit(pool);
    await handed;
    await nextReady;
    // One busy, and two free again: the spares are kept ahead of demand.
    expect(pool.stats).toMatchObject({ workers: 3, busy: 1, idle: 2, sessions: 1, queued: 0 });
  });

  it('replaces a busy child that dies, and says so', async () => {
    const pool = startPool();
    await pool.start();
    const handed = once(pool, 'handed') as Promise<[number, number]>;
    await submit(pool);
    const [pid] = await handed;
    const died = once(pool, 'died');
    const replaced = once(pool, 'ready');
    process.kill(pid, 'SIGKILL');
    expect(await died).toEqual([pid, true]);
    await replaced;
    expect(pool.stats).toMatchObject({ sessions: 0, idle: 1, starting: 0 });
  });

  it('retires a child whose uses are spent once its session ends', async () => {
    const pool = startPool({ maxUse: 1 });
    await pool.start();
    const handed = once(pool, 'handed') as Promise<[number, number]>;
    const { client } = await submit(pool);
    const [pid] = await handed;
    const retiring = once(pool, 'retiring');
    const exited = once(pool, 'exited');
    client.destroy();
    expect(await retiring).toEqual([pid]);
    expect(await exited).toEqual([pid, true]);
  });

  it('closes a connection beyond the queue limit', async () => {
    const pool = startPool({ maxSessions: 1, maxQueue: 0 });
    await pool.start();
    const handed = once(pool, 'handed');
    await submit(pool);
    await handed;
    const refused = once(pool, 'refused');
    const { socket } = await submit(pool);
    expect(await refused).toEqual(['127.0.0.1']);
    expect(socket.destroyed).toBe(true);
    expect(pool.stats).toMatchObject({ sessions: 1, queued: 0 });
  });
});
