/**
 * The classic login (E.1–E.3), both sides:
 *
 *   client -> server  RSA-OAEP(server_public.pem, username "\n" password)
 *   server -> client  RSA-OAEP(<user>_public.pem, 32-byte session key)
 *                     or, in clear, "Invalid username or password" and the connection ends
 *   client -> server  AES-256-ECB(session key, "OK")
 */
import type { KeyObject } from 'node:crypto';
import type { MessageChannel } from '../channel.js';
import {
  maxOaepPlaintextBytes,
  newSessionKey,
  rsaDecrypt,
  rsaEncrypt,
  SESSION_KEY_BYTES,
} from '../crypto.js';
import { isProtocolError, ProtocolError } from '../errors.js';
import type { FramedSocket } from '../framing.js';
import type { ClientKeys, LoginAccount, LoginCredentials, ServerLoginPolicy } from '../login.js';
import { printable } from '../text.js';
import { LOGIN_REJECTED, OK } from '../texts.js';
import { decodeUtf8, encodeUtf8 } from '../utf8.js';
import { ClassicChannel } from './channel.js';

const REJECTED_BYTES = encodeUtf8(LOGIN_REJECTED);

/** E.1: RSA-OAEP under the server's public key of UTF-8 `username + "\n" + password`. */
export function encryptLogin(serverPublicKey: KeyObject, credentials: LoginCredentials): Buffer {
  if (credentials.username.includes('\n')) {
    throw new ProtocolError('LOGIN_TOO_LONG', 'a username cannot contain a line break', {
      fatal: false,
    });
  }
  const plaintext = encodeUtf8(`${credentials.username}\n${credentials.password}`);
  const limit = maxOaepPlaintextBytes(serverPublicKey);
  if (plaintext.length > limit) {
    throw new ProtocolError(
      'LOGIN_TOO_LONG',
      `username and password take ${plaintext.length} bytes; the server's key holds at most ${limit}`,
      { fatal: false },
    );
  }
  return rsaEncrypt(serverPublicKey, plaintext);
}

/** The server's side of E.1; throws BAD_CIPHERTEXT or BAD_UTF8 for a blob that is not a login. */
export function decryptLogin(serverPrivateKey: KeyObject, blob: Buffer): LoginCredentials {
  const text = decodeUtf8(rsaDecrypt(serverPrivateKey, blob));
  const newline = text.indexOf('\n');
  if (newline < 0) return { username: text, password: '' };
  return { username: text.slice(0, newline), password: text.slice(newline + 1) };
}

/**
 * Whether the bytes that arrived where a frame's length should be are the start of an
 * unframed "Invalid username or password", as other implementations of the protocol send it.
 */
function isUnframedRejection(error: unknown): boolean {
  if (!isProtocolError(error, 'FRAME_TOO_LARGE')) return false;
  const header = error.received;
  return header !== undefined && REJECTED_BYTES.subarray(0, header.length).equals(header);
}

/** Reads the server's answer to the credentials, saying plainly what came instead of one. */
async function readLoginAnswer(framed: FramedSocket): Promise<Buffer> {
  try {
    return await framed.read();
  } catch (error) {
    if (isUnframedRejection(error)) throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED);
    if (isProtocolError(error, 'FRAME_TOO_LARGE')) {
      const seen = printable((error.received ?? Buffer.alloc(0)).toString('latin1'));
      throw new ProtocolError(
        'NOT_A_MAIL_SERVER',
        `the server did not answer the login as a mail server of this protocol: it sent "${seen}…" where a message length belongs`,
        { cause: error },
      );
    }
    if (isProtocolError(error, 'CONNECTION_CLOSED')) {
      throw new ProtocolError(
        'CONNECTION_CLOSED',
        'the server closed the connection without answering the login (it may be too busy to take another client; try again)',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The client's side. Resolves with the AES channel once the server has the "OK"; throws
 * LOGIN_REJECTED when the server refuses the credentials.
 */
export async function clientClassicLogin(
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
): Promise<MessageChannel> {
  await framed.write(encryptLogin(keys.serverPublicKey, credentials));
  const reply = await readLoginAnswer(framed);
  if (reply.equals(REJECTED_BYTES)) {
    await framed.end();
    throw new ProtocolError('LOGIN_REJECTED', LOGIN_REJECTED);
  }
  let sessionKey: Buffer;
  try {
    sessionKey = rsaDecrypt(keys.privateKey(), reply);
  } catch (error) {
    if (!isProtocolError(error, 'BAD_CIPHERTEXT')) throw error;
    throw new ProtocolError(
      'BAD_CIPHERTEXT',
      `the session key from the server does not open with ${credentials.username}'s private key on this computer: the server holds another public key for ${credentials.username}; ask the administrator for your bundle (sealed-mail-admin keys ${credentials.username})`,
      { cause: error },
    );
  }
  if (sessionKey.length !== SESSION_KEY_BYTES) {
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      `the session key has ${sessionKey.length} bytes, not ${SESSION_KEY_BYTES}`,
    );
  }
  const channel = new ClassicChannel(framed, sessionKey);
  await channel.send(OK);
  return channel;
}

/**
 * The credentials under the server's key, or, while that key is being replaced, under the key
 * before it (clients with an old bundle encrypt to it); the first key's error when neither opens.
 */
function decryptLoginWithEither<A extends LoginAccount>(
  policy: ServerLoginPolicy<A>,
  blob: Buffer,
): LoginCredentials {
  try {
    return decryptLogin(policy.serverPrivateKey, blob);
  } catch (error) {
    const previous = policy.previousServerKey?.();
    if (!previous || !(error instanceof ProtocolError)) throw error;
    try {
      return decryptLogin(previous.privateKey, blob);
    } catch {
      throw error;
    }
  }
}

/**
 * The server's side: decrypt the credentials, ask the policy, send the session key under the
 * account's public key and wait for AES("OK"). Resolves with undefined when the login was
 * refused (the rejection is sent and the connection closed).
 */
export async function serverClassicLogin<A extends LoginAccount>(
  framed: FramedSocket,
  policy: ServerLoginPolicy<A>,
  peer: string,
): Promise<{ account: A; channel: MessageChannel } | undefined> {
  const blob = await framed.read();
  let credentials: LoginCredentials | undefined;
  try {
    credentials = decryptLoginWithEither(policy, blob);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    policy.events?.undecryptable?.(error.message, blob.length);
  }
  const account = credentials && (await policy.authenticate({ ...credentials, peer }));
  if (!account) {
    await framed.write(REJECTED_BYTES).catch(() => undefined);
    await framed.end();
    policy.events?.refused?.(credentials?.username);
    return undefined;
  }
  const sessionKey = newSessionKey();
  await framed.write(rsaEncrypt(account.publicKey, sessionKey));
  policy.events?.accepted?.(account);
  const channel = new ClassicChannel(framed, sessionKey);
  const reply = await channel.receive();
  if (reply !== OK) {
    throw new ProtocolError(
      'UNEXPECTED_MESSAGE',
      `expected "OK" after the session key, got ${JSON.stringify(reply.slice(0, 40))}`,
    );
  }
  return { account, channel };
}
