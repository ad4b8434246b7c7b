import type { MessageChannel } from '../../protocol/channel.js';
import { ClassicChannel, encryptLogin, type LoginCredentials } from '../../protocol/classic.js';
import { rsaDecrypt, SESSION_KEY_BYTES } from '../../protocol/crypto.js';
import { isProtocolError, ProtocolError } from '../../protocol/errors.js';
import type { FramedSocket } from '../../protocol/framing.js';
import { LOGIN_REJECTED, OK } from '../../protocol/texts.js';
import type { ClientKeys } from './keys.js';

/**
 * The client's side of the classic login (E.1–E.3). Resolves with the AES channel once the
 * server has the "OK"; throws LOGIN_REJECTED when the server refuses the credentials.
 */
export async function classicLogin(
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
): Promise<MessageChannel> {
  await framed.write(encryptLogin(keys.serverPublicKey, credentials));
  const reply = await framed.read().catch((error: unknown) => {
    // The server may close without a word when it is too busy to queue another client.
    if (isProtocolError(error, 'CONNECTION_CLOSED')) {
      throw new ProtocolError(
        'CONNECTION_CLOSED',
        'the server closed the connection without answering the login (it may be too busy; try again)',
        { cause: error },
      );
    }
    throw error;
  });
  if (reply.equals(Buffer.from(LOGIN_REJECTED))) {
    await framed.end();
    throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED, { fatal: true });
  }
  let privateKey;
  try {
    privateKey = keys.privateKey();
  } catch (error) {
    framed.destroy();
    throw error;
  }
  const sessionKey = rsaDecrypt(privateKey, reply);
  if (sessionKey.length !== SESSION_KEY_BYTES) {
    framed.destroy();
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      `the session key has ${sessionKey.length} bytes, not ${SESSION_KEY_BYTES}`,
    );
  }
  const channel = new ClassicChannel(framed, sessionKey);
  await channel.send(OK);
  return channel;
}
