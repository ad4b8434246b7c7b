import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { Spawned, distPath } from '../helpers/processes.js';
import { rawSession, signIn } from '../helpers/client.js';
import { encodeFrame } from '../../protocol/framing.js';
import { waitFor } from '../helpers/server-state.js';
import { childPids } from '../../scripts/lib/server-process.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  keys = await makeKeySetup();
  server = await startMailServer(serverHome(keys.dir), ['--spare', '2', '--max-sessions', '20']);
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

/** Resolves when the server has closed the connection. */
const closedByServer = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => {
      resolve();
    });
    socket.resume();
  });

async function honestClientWorks(): Promise<void> {
  const client = await signIn(server.port, keys.dir, 'client2');
  expect((await client.listInbox()).rows).toBeDefined();
  await client.terminate();
}

describe('hostile clients: the server answers or closes, stays up and serves the next honest client', () => {
  it('1,000 connections that never speak do not hold session processes, nor keep others out', async () => {
    // From another address than the honest client's: one address may keep only so many
    // connections without a login (--max-pending-per-address, 128 by default).
    const sockets = await Promise.all(
      Array.from({ length: 1000 }, () => {
        const socket = connect({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.2' });
        socket.on('error', () => undefined);
        return new Promise<Socket>((resolve) => {
          socket.once('connect', () => {
            resolve(socket);
          });
        });
      }),
    );
    try {
      await honestClientWorks();
      // They wait in the parent: the session processes are the spares, not a thousand.
      expect(childPids(server.process.child.pid ?? 0).length).toBeLessThanOrEqual(20);
      // The server closed those beyond the address's limit.
      await server.process.waitForRecord(
        (msg) => msg.startsWith('connections dropped: '),
        {
          reasons: (reasons: unknown) =>
            Object.keys(reasons as object).some((reason) =>
              reason.startsWith('too many connections from one address without a login'),
            ),
        },
        { timeoutMs: 5000 },
      );
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('wrong AES padding and a partial AES block each close only that connection', async () => {
    for (const payload of [randomBytes(32), randomBytes(15)]) {
      const { framed } = await rawSession(server.port, keys.dir, 'client1');
      framed.socket.write(encodeFrame(payload));
      await closedByServer(framed.socket);
    }
    await honestClientWorks();
    await server.process.waitForRecord(
      'session ended',
      { code: 'BAD_CIPHERTEXT' },
      { timeoutMs: 5000 },
    );
  });

  it('a menu choice of megabytes ends that session', async () => {
    const { framed, channel } = await rawSession(server.port, keys.dir, 'client1');
    await channel.send('1'.repeat(3_000_000));
    await closedByServer(framed.socket);
    await honestClientWorks();
  });

  it('a frame that announces 2^63 bytes after login is refused without buffering', async () => {
    const { framed } = await rawSession(server.port, keys.dir, 'client1');
    framed.socket.write(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]));
    await closedByServer(framed.socket);
    await server.process.waitForRecord(
      'session ended',
      { code: 'FRAME_TOO_LARGE' },
      { timeoutMs: 5000 },
    );
    await honestClientWorks();
  });

  it('a login blob of the wrong size or garbage gets the rejection text, without a crash', async () => {
    for (const blob of [Buffer.alloc(0), randomBytes(256), randomBytes(4096)]) {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
      });
      socket.write(encodeFrame(blob));
      await closedByServer(socket);
      expect(Buffer.concat(received).subarray(8).toString()).toBe('Invalid username or password');
    }
    await honestClientWorks();
  });

  it('leaves no stray process and no stray file', () => {
    const home = serverHome(keys.dir);
    for (const user of ['client1', 'client2', 'client3', 'client4', 'client5']) {
      expect(readdirSync(join(home, user)).filter((name) => name.startsWith('.'))).toEqual([]);
    }
    expect(childPids(server.process.child.pid ?? 0).length).toBeLessThanOrEqual(20);
  });
});

describe('out of file descriptors', () => {
  it('a flood beyond the process file limit drops connections but the server stays up and serves the next client', async () => {
    const keysForFlood = await makeKeySetup();
    const script = `ulimit -n 80; exec node ${distPath('mail-server/main.js')} --home ${serverHome(keysForFlood.dir)} --host 127.0.0.1 --port 0 --spare 2`;
    const flooded = new Spawned('bash', ['-c', script]);
    try {
      const port = (await flooded.waitForRecord('listening', {}, { timeoutMs: 20_000 }))
        .port as number;
      // `exec`: the server is the shell's process. Its descriptors before the flood.
      const descriptors = (): number => readdirSync(`/proc/${flooded.child.pid ?? 0}/fd`).length;
      const calm = descriptors();
      const sockets = Array.from({ length: 200 }, () => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        return socket;
      });
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              socket.once('connect', () => {
                resolve();
              });
              socket.once('error', () => {
                resolve();
              });
            }),
        ),
      );
      for (const socket of sockets) socket.destroy();
      // The server frees its descriptors as it sees the flood's connections close (until then a
      // new connection may still be dropped): within a few seconds it holds no more than before.
      await waitFor('the server to close the flood', () =>
        descriptors() <= calm ? true : undefined,
      );
      const client = await signIn(port, keysForFlood.dir, 'client1');
      expect(client.menu).toContain('Select the operation:');
      await client.terminate();
      expect(flooded.child.exitCode).toBeNull();
    } finally {
      await flooded.stop();
      keysForFlood.cleanup();
    }
  });
});
