import { loadClientKeys } from '../../gateway/client/keys.js';
import type { MailClient } from '../../gateway/client/mail-client.js';
import { openSession, type ChannelKind } from '../../gateway/client/session.js';
import { join } from 'node:path';

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
    keys: loadClientKeys(join(keysDir, username), username),
    channel,
    replyTimeoutMs: 30_000,
  });
}
