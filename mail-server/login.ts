import type { MessageChannel } from '../protocol/channel.js';
import { ClassicChannel, decryptLogin } from '../protocol/classic.js';
import { newSessionKey, rsaEncrypt } from '../protocol/crypto.js';
import { ProtocolError } from '../protocol/errors.js';
import type { FramedSocket } from '../protocol/framing.js';
import { printable } from '../protocol/text.js';
import { encodeUtf8 } from '../protocol/utf8.js';
import { LOGIN_REJECTED, OK, serverLines } from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import { announce, type Logger } from './log.js';
import { verifyPassword } from './passwords.js';

export interface LoggedIn {
  user: UserAccount;
  channel: MessageChannel;
}

/**
 * The server's side of the classic login (E.1–E.3): decrypt the credentials, check them,
 * send the session key under the user's public key and wait for AES("OK").
 * Returns undefined when the login was refused (the rejection is sent and the socket closed).
 */
export async function acceptClassicLogin(
  framed: FramedSocket,
  home: ServerHome,
  log: Logger,
  peer: string,
): Promise<LoggedIn | undefined> {
  const blob = await framed.read();
  let username: string | undefined;
  let accepted: UserAccount | undefined;
  try {
    const credentials = decryptLogin(home.serverPrivateKey, blob);
    username = credentials.username;
    const account = home.users.get(credentials.username);
    if (verifyPassword(account?.password, credentials.password)) accepted = account;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    log.warn({ peer, err: error.message, bytes: blob.length }, 'login blob could not be decrypted');
  }
  if (!accepted) {
    await framed.write(encodeUtf8(LOGIN_REJECTED)).catch(() => undefined);
    await framed.end();
    if (username !== undefined) announce(serverLines.invalid(printable(username)));
    return undefined;
  }
  const sessionKey = newSessionKey();
  await framed.write(rsaEncrypt(accepted.publicKey, sessionKey));
  announce(serverLines.accepted(accepted.name));
  const channel = new ClassicChannel(framed, sessionKey);
  const reply = await channel.receive();
  if (reply !== OK) {
    throw new ProtocolError(
      'UNEXPECTED_MESSAGE',
      `expected "OK" after the session key, got ${JSON.stringify(reply.slice(0, 40))}`,
    );
  }
  return { user: accepted, channel };
}
