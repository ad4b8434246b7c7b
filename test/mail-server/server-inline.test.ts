/**
 * The whole server in this process (sessions served inline, mail kept in memory): logins of
 * both channel kinds over real loopback sockets, the throttle and the login deadline, without
 * starting a process.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSession } from '../../gateway/protocol-client/session.js';
import { serveConnection } from '../../mail-server/connection.js';
import { connectionContext } from '../../mail-server/context.js';
import { loadServerHome } from '../../mail-server/home.js';
import { createLogger } from '../../mail-server/log.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { localThrottle, ThrottleBook } from '../../mail-server/throttle/rules.js';
import { defaultServerOptions, MailServer } from '../../mail-server/server.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { isProtocolError } from '../../protocol/errors.js';
import { encodeFrame, MAX_FRAME_BYTES } from '../../protocol/framing.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';

// A fresh home for each test: the throttle keeps its state in the home.
let keys: { dir: string; cleanup: () => void };
beforeEach(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
});
afterEach(() => {
  keys.cleanup();
});

async function inlineServer(channel: ChannelKind, loginTimeoutMs = 60_000) {
  const server = new MailServer(
    {
      ...defaultServerOptions,
      home: serverHome(keys.dir),
      host: '127.0.0.1',
      port: 0,
      channel,
      sessions: 'inline',
      store: 'memory',
      loginTimeoutMs,
      logLevel: 'fatal',
    },
    createLogger('fatal'),
  );
  const { port } = await server.start();
  return { server, port };
}

const signIn = (port: number, channel: ChannelKind, user: string, password: string) =>
  openSession({
    host: '127.0.0.1',
    port,
    channel,
    credentials: { username: user, password },
    keys: setupKeys(keys.dir, user),
  });

describe.each(['classic', 'enhanced'] as const)('the %s server in one process', (channel) => {
  it('serves a session over a real socket, keeping mail in memory', async () => {
    const { server, port } = await inlineServer(channel);
    try {
      const one = await signIn(port, channel, 'client1', 'password1');
      await one.send({ to: ['client2'], title: 'inline', content: 'hello' });
      await one.terminate();
      const two = await signIn(port, channel, 'client2', 'password2');
      expect((await two.listInbox()).rows.map((row) => row.title)).toEqual(['inline']);
      await two.terminate();
    } finally {
      await server.close();
    }
  });

  it('refuses wrong passwords the same way, then throttles even the right one', async () => {
    const { server, port } = await inlineServer(channel);
    try {
      for (let i = 0; i < 4; i++) {
        await expect(signIn(port, channel, 'client2', `wrong${i}`)).rejects.toSatisfy((error) =>
          isProtocolError(error, 'LOGIN_REJECTED'),
        );
      }
      // Locked for a second after the fourth failure: the right password is refused like a wrong one.
      await expect(signIn(port, channel, 'client2', 'password2')).rejects.toSatisfy((error) =>
        isProtocolError(error, 'LOGIN_REJECTED'),
      );
      // client1 from the same address is not locked.
      await (await signIn(port, channel, 'client1', 'password1')).terminate();
    } finally {
      await server.close();
    }
  });

  it('closes a connection that starts a login and never finishes it', async () => {
    const { server, port } = await inlineServer(channel, 300);
    try {
      const socket = connect({ host: '127.0.0.1', port });
      await new Promise((resolve) => socket.once('connect', resolve));
      // A first frame that is the start of a login but not all of one: a hello, or a blob
      // waiting for more; the server must not wait for ever.
      socket.write(encodeFrame(Buffer.alloc(channel === 'classic' ? 256 : 66, 1)).subarray(0, 20));
      socket.write(encodeFrame(Buffer.alloc(1)));
      const closed = await new Promise<boolean>((resolve) => {
        socket.once('close', () => {
          resolve(true);
        });
        socket.resume();
      });
      expect(closed).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('a refused login', () => {
  it('frees its session at once, while the client that never closes is still connected', async () => {
    const keysOfServer = await makeKeySetup(['client1', 'client2']);
    const home = loadServerHome(serverHome(keysOfServer.dir));
    const context = connectionContext({
      channel: 'classic',
      home,
      store: new MemoryStore(home.users.keys()),
      throttle: localThrottle(new ThrottleBook()),
      log: createLogger('fatal'),
      announce: () => undefined,
      idleTimeoutMs: 60_000,
      maxFrameBytes: MAX_FRAME_BYTES,
      maxInboxBytes: 1024 * 1024,
    });
    const accepted = new Promise<Socket>((resolve) => {
      const listener = createServer((socket) => {
        listener.close();
        resolve(socket);
      }).listen(0, '127.0.0.1', () => {
        const { port } = listener.address() as AddressInfo;
        const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        client.on('error', () => undefined);
        client.resume();
      });
    });
    const socket = await accepted;
    try {
      await serveConnection(socket, encodeFrame(randomBytes(256)), 10_000, context);
      // Served and over, yet the socket lingers for the peer to read the refusal and close.
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
      keysOfServer.cleanup();
    }
  });
});
