import type { LoginCredentials } from '../../protocol/classic.js';
import type { EnhancedChannel } from '../../protocol/enhanced/channel.js';
import { clientHandshake } from '../../protocol/enhanced/handshake.js';
import { encodeClientAuth } from '../../protocol/enhanced/messages.js';
import { LOGIN_ACCEPTED } from '../../protocol/enhanced/suite.js';
import { clientSignedContent, pssSign } from '../../protocol/enhanced/transcript.js';
import { isProtocolError, ProtocolError } from '../../protocol/errors.js';
import type { FramedSocket } from '../../protocol/framing.js';
import { LOGIN_REJECTED } from '../../protocol/texts.js';
import type { ClientKeys } from './keys.js';

/**
 * The client's side of the enhanced login. The server's identity is verified by the handshake
 * before anything secret is sent; then the username, the password and the client's signature
 * over the transcript go in the first encrypted record. Throws HANDSHAKE_FAILED for a server
 * that cannot prove its identity, LOGIN_REJECTED when the server refuses the credentials.
 */
export async function enhancedLogin(
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
): Promise<EnhancedChannel> {
  const { channel, transcriptHash } = await clientHandshake(framed, keys.serverPublicKey);
  const privateKey = keys.privateKey();
  const signature = pssSign(privateKey, clientSignedContent(transcriptHash, credentials.username));
  await channel.sendBytes(encodeClientAuth({ ...credentials, signature }));
  let answer: string;
  try {
    answer = await channel.receive();
  } catch (error) {
    // A server that closes without an answer refused us; say so the way a refusal is said.
    if (isProtocolError(error, 'CONNECTION_CLOSED'))
      throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED, { cause: error });
    throw error;
  }
  if (answer !== LOGIN_ACCEPTED) {
    await channel.close();
    throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED);
  }
  return channel;
}
