/**
 * Ephemeral X25519 and the HKDF-SHA256 key schedule. Fresh key pairs on both sides give
 * forward secrecy; salting HKDF with the transcript hash ties every key to this handshake,
 * so nothing recorded from another session decrypts or authenticates in this one.
 */
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { AES_KEY_BYTES, GCM_IV_BYTES, KeyLabel, X25519_PUBLIC_BYTES } from './suite.js';

export interface EphemeralKey {
  privateKey: KeyObject;
  /** The raw 32-byte public key, as it goes on the wire. */
  publicRaw: Buffer;
}

/** DER SubjectPublicKeyInfo prefix of an X25519 key (RFC 8410); the raw key follows it. */
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export function newEphemeralKey(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicRaw: der.subarray(X25519_SPKI_PREFIX.length) };
}

/** X25519(our private, their raw public); refuses the all-zero result of a low-order point. */
export function sharedSecret(ours: EphemeralKey, theirsRaw: Buffer): Buffer {
  if (theirsRaw.length !== X25519_PUBLIC_BYTES) {
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      `an X25519 public key has ${X25519_PUBLIC_BYTES} bytes, not ${theirsRaw.length}`,
    );
  }
  let secret: Buffer;
  try {
    const publicKey = createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, theirsRaw]),
      format: 'der',
      type: 'spki',
    });
    secret = diffieHellman({ privateKey: ours.privateKey, publicKey });
  } catch (error) {
    throw new ProtocolError('HANDSHAKE_FAILED', "the peer's X25519 key is not usable", {
      cause: error,
    });
  }
  if (secret.every((byte) => byte === 0)) {
    throw new ProtocolError('HANDSHAKE_FAILED', "the peer's X25519 key is a low-order point");
  }
  return secret;
}

/** A key and a base IV for one direction of records. */
export interface DirectionKeys {
  key: Buffer;
  iv: Buffer;
}

export interface TrafficKeys {
  clientToServer: DirectionKeys;
  serverToClient: DirectionKeys;
}

function expand(secret: Buffer, transcriptHash: Buffer, label: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, transcriptHash, label, length));
}

/** HKDF-SHA256(ikm = shared secret, salt = transcript hash), one label per key and IV. */
export function deriveTrafficKeys(secret: Buffer, transcriptHash: Buffer): TrafficKeys {
  return {
    clientToServer: {
      key: expand(secret, transcriptHash, KeyLabel.clientToServerKey, AES_KEY_BYTES),
      iv: expand(secret, transcriptHash, KeyLabel.clientToServerIv, GCM_IV_BYTES),
    },
    serverToClient: {
      key: expand(secret, transcriptHash, KeyLabel.serverToClientKey, AES_KEY_BYTES),
      iv: expand(secret, transcriptHash, KeyLabel.serverToClientIv, GCM_IV_BYTES),
    },
  };
}
