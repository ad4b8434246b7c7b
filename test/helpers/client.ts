import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { clientClassicLogin } from '../../protocol/classic/login.js';
import type { MessageChannel } from '../../protocol/channel.js';
import { FramedSocket } from '../../protocol/framing.js';
import { MENU } from '../../protocol/operations/menu.js';
import { setupKeys } from './keys.js';
import { isProtocolError } from '../../protocol/errors.js';

/** Logs a user of a key setup (see makeKeySetup) in to a server on loopback. */
export function signIn(
  port: number,
  keysDir: string,
  username: string,
  password = `password${username.replace(/\D/g, '')}`,
  channel: ChannelKind = 'classic',
): Promise<MailClient> {
  return openSession({
    host: '127.0.0.1',
    port,
    credentials: { username, password },
    keys: setupKeys(keysDir, username, password),
    channel,
    replyTimeoutMs: 30_000,
  });
}

/**
 * A logged-in classic channel with no client library on top, to send what a client never
 * would. Resolves once the first menu has arrived.
 */
export async function rawSession(
  port: number,
  keysDir: string,
  username: string,
  password = `password${username.replace(/\D/g, '')}`,
): Promise<{ framed: FramedSocket; channel: MessageChannel }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  const framed = new FramedSocket(socket, { idleTimeoutMs: 20_000 });
  const channel = await clientClassicLogin(
    framed,
    { username, password },
    setupKeys(keysDir, username),
  );
  const menu = await channel.receive();
  if (menu !== MENU) throw new Error(`expected the menu, got ${JSON.stringify(menu.slice(0, 40))}`);
  return { framed, channel };
}

/**
 * One classic login from `localAddress` (any 127.x.y.z on Linux's loopback), with nothing on
 * top: 'accepted' when the server sent a session key, 'refused' when it sent its refusal.
 * Accepted sessions are closed at once.
 */
export async function classicLoginFrom(
  port: number,
  keysDir: string,
  credentials: { username: string; password: string },
  localAddress: string,
): Promise<'accepted' | 'refused'> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const framed = new FramedSocket(socket, { idleTimeoutMs: 30_000 });
  try {
    // A made-up name is sealed with client1's keys: the login is sealed for the server, whoever asks.
    const user = existsSync(join(keysDir, credentials.username)) ? credentials.username : 'client1';
    await clientClassicLogin(framed, credentials, setupKeys(keysDir, user));
    return 'accepted';
  } catch (error) {
    if (isProtocolError(error, 'LOGIN_REJECTED')) return 'refused';
    throw error;
  } finally {
    framed.destroy();
  }
}

/** Runs `tasks` with at most `parallel` of them at once; resolves with their results in order. */
export async function inParallel<T>(
  tasks: readonly (() => Promise<T>)[],
  parallel: number,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let at = next++; at < tasks.length; at = next++) {
      const task = tasks[at];
      if (task) results[at] = await task();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}
