import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { connect } from 'node:net';
import { clientClassicLogin } from '../../protocol/classic/login.js';
import type { MessageChannel } from '../../protocol/channel.js';
import { FramedSocket } from '../../protocol/framing.js';
import { MENU } from '../../protocol/operations/menu.js';
import { setupKeys } from './keys.js';

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
