/**
 * The enhanced login, both sides: the signed handshake (handshake.ts), then the client's
 * credentials in the first record (its username, its password and its RSA-PSS signature over
 * the transcript hash and the username), answered by the server's first record: "OK", or
 * "Invalid username or password" followed by an authenticated close. From session version 6
 * the "OK" of a session signed by a server key being replaced carries the new key
 * (key-update.ts).
 */
import type { EnhancedChannel } from './channel.js';
import { isProtocolError, ProtocolError } from '../errors.js';
import type { FramedSocket } from '../framing.js';
import type {
  ClientKeys,
  ClientLoginOptions,
  LoginAccount,
  LoginCredentials,
  ServerLoginPolicy,
} from '../login.js';
import { LOGIN_REJECTED } from '../texts.js';
import { clientHandshake, serverHandshake } from './handshake.js';
import { serverKeyUpdate, verifyServerKeyUpdate } from './key-update.js';
import { decodeClientAuth, encodeClientAuth } from './messages.js';
import { LOGIN_ACCEPTED, SessionVersion } from './suite.js';
import { decodeUtf8, encodeUtf8 } from '../utf8.js';
import { clientSignedContent, pssSign, pssVerify } from './transcript.js';

/**
 * The client's side. The server's identity is verified by the handshake before anything
 * secret is sent. Throws HANDSHAKE_FAILED for a server that cannot prove its identity,
 * LOGIN_REJECTED when the server refuses the credentials.
 */
export async function clientEnhancedLogin(
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
  options: ClientLoginOptions = {},
): Promise<EnhancedChannel> {
  // The key the handshake verifies with, and the only key whose signature can bring a new one.
  const heldKey = keys.serverPublicKey;
  const { channel, transcriptHash } = await clientHandshake(framed, heldKey, options.version);
  const signature = pssSign(
    keys.privateKey(),
    clientSignedContent(transcriptHash, credentials.username),
  );
  await channel.sendBytes(encodeClientAuth({ ...credentials, signature }));
  let answer: Buffer;
  try {
    answer = await channel.receiveBytes();
  } catch (error) {
    // A server that closes without an answer refused us; say so the way a refusal is said.
    if (isProtocolError(error, 'CONNECTION_CLOSED'))
      throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED, { cause: error });
    throw error;
  }
  const accepted = encodeUtf8(LOGIN_ACCEPTED);
  const carriesUpdate =
    channel.version >= SessionVersion.serverKeyUpdates &&
    answer.length > accepted.length &&
    answer.subarray(0, accepted.length).equals(accepted);
  if (!carriesUpdate && decodeUtf8(answer) !== LOGIN_ACCEPTED) {
    await channel.close();
    throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED);
  }
  if (carriesUpdate) {
    try {
      channel.serverKeyUpdate = verifyServerKeyUpdate(
        answer.subarray(accepted.length),
        heldKey,
        transcriptHash,
      );
    } catch (error) {
      await channel.close();
      throw error;
    }
  }
  return channel;
}

/** Runs a step of the login; a handshake that fails is told to the policy before it is thrown. */
async function handshakeStep<T, A extends LoginAccount>(
  policy: ServerLoginPolicy<A>,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    // A classic client, a scanner, a garbled hello, a record of another session (a replay):
    // nothing from it reaches the password check.
    if (isProtocolError(error, 'HANDSHAKE_FAILED') || isProtocolError(error, 'RECORD_AUTH_FAILED'))
      policy.events?.handshakeFailed?.(error.message);
    throw error;
  }
}

/**
 * The server's side: the signed handshake, then the credentials, checked by the policy with
 * the client's proof of its key. Every refusal gets the same answer. Resolves with undefined
 * when the login was refused (the channel is closed then).
 */
export async function serverEnhancedLogin<A extends LoginAccount>(
  framed: FramedSocket,
  policy: ServerLoginPolicy<A>,
  peer: string,
): Promise<{ account: A; channel: EnhancedChannel } | undefined> {
  const previous = policy.previousServerKey?.();
  const { channel, transcriptHash, signedByPrevious } = await handshakeStep(policy, () =>
    serverHandshake(framed, policy.serverPrivateKey, undefined, previous),
  );
  policy.events?.handshake?.();
  const auth = await handshakeStep(policy, async () =>
    decodeClientAuth(await channel.receiveBytes()),
  );
  const signed = clientSignedContent(transcriptHash, auth.username);
  const account = await policy.authenticate({
    username: auth.username,
    password: auth.password,
    peer,
    provesKeyOf: (publicKey) => pssVerify(publicKey, signed, auth.signature),
  });
  if (!account) {
    await channel.send(LOGIN_REJECTED).catch(() => undefined);
    await channel.close();
    policy.events?.refused?.(auth.username);
    return undefined;
  }
  // A client still holding the key being replaced learns the new one, signed by the old.
  const update =
    signedByPrevious && previous && channel.version >= SessionVersion.serverKeyUpdates
      ? serverKeyUpdate(transcriptHash, policy.serverPrivateKey, previous)
      : Buffer.alloc(0);
  await channel.sendBytes(Buffer.concat([encodeUtf8(LOGIN_ACCEPTED), update]));
  if (update.length > 0) policy.events?.serverKeyHandedOver?.(account);
  policy.events?.accepted?.(account);
  return { account, channel };
}
