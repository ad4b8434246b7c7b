/**
 * The server key update, both sides (session version 6; OpenSSH's UpdateHostKeys is the
 * model). While the server's key is being replaced, a client that still holds the old key
 * gets a handshake signed by that old key; after its login, the server's "OK" carries the new
 * key and the window's end, signed by the old key over this session's transcript hash
 * (messages.ts draws the bytes). The client believes it only when that signature verifies
 * with the very key its handshake was just verified with: the server's word alone changes
 * nothing.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { PreviousServerKey } from '../login.js';
import { keyFingerprint } from './fingerprint.js';
import { decodeServerKeyUpdate, encodeServerKeyUpdate } from './messages.js';
import { pssSign, pssVerify, serverKeyUpdateSignedContent } from './transcript.js';

/** A new server key, verified with the key it replaces. */
export interface ServerKeyUpdate {
  publicKey: KeyObject;
  /** When the server stops accepting the replaced key, ms since 1970. */
  untilMs: number;
  /** The key the client held, which signed the update. */
  replaced: KeyObject;
}

/** The server's side: the update to append to the "OK" of a session signed by `previous`. */
export function serverKeyUpdate(
  transcriptHash: Buffer,
  currentPrivateKey: KeyObject,
  previous: PreviousServerKey,
): Buffer {
  const publicKeyDer = createPublicKey(currentPrivateKey).export({ type: 'spki', format: 'der' });
  const signature = pssSign(
    previous.privateKey,
    serverKeyUpdateSignedContent(transcriptHash, publicKeyDer, previous.untilMs),
  );
  return encodeServerKeyUpdate({ publicKeyDer, untilMs: previous.untilMs, signature });
}

const refused = (problem: string): ProtocolError =>
  new ProtocolError(
    'HANDSHAKE_FAILED',
    `the server offered a new server key, refused: ${problem}; server_public.pem was not changed`,
  );

/**
 * The client's side: the new key, once its signature verifies with `heldKey` (the key this
 * session's handshake verified). Anything else throws HANDSHAKE_FAILED: a server that proved
 * the old key and then hands over a key that key did not sign is not to be talked to.
 */
export function verifyServerKeyUpdate(
  payload: Buffer,
  heldKey: KeyObject,
  transcriptHash: Buffer,
): ServerKeyUpdate {
  const update = decodeServerKeyUpdate(payload);
  const content = serverKeyUpdateSignedContent(transcriptHash, update.publicKeyDer, update.untilMs);
  if (!pssVerify(heldKey, content, update.signature))
    throw refused(`it is not signed by the key of server_public.pem (${keyFingerprint(heldKey)})`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: update.publicKeyDer, format: 'der', type: 'spki' });
  } catch (error) {
    throw refused(`it is not a public key (${(error as Error).message})`);
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw refused('it is not an RSA key');
  if (publicKey.equals(heldKey)) throw refused('it is the key this computer already holds');
  return { publicKey, untilMs: update.untilMs, replaced: heldKey };
}
