/**
 * Sealing: a fresh content key per email, the content under AES-256-GCM with the header as
 * additional data, the key wrapped for each reader, then the sender's signature over it all.
 */
import { createCipheriv, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { keyDigest } from '../enhanced/fingerprint.js';
import { encodeUtf8 } from '../utf8.js';
import {
  encodeHeader,
  encodeSealedEmail,
  encodeSignedPart,
  sealedError,
  type WrappedKey,
} from './format.js';
import { commitmentTo, signSealed, wrapContentKey } from './primitives.js';
import {
  CONTENT_KEY_BYTES,
  EMAIL_ID_BYTES,
  MAX_SEALED_CONTENT_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
} from './suite.js';

/** Someone the content key is wrapped for, with the public key the sender trusts for them. */
export interface Reader {
  name: string;
  publicKey: KeyObject;
}

export interface SealRequest {
  sender: string;
  senderPrivateKey: KeyObject;
  title: string;
  content: string;
  /** In the order written, distinct. */
  recipients: readonly string[];
  /** The recipients the sender has a key for; the sender is added (to read their own email). */
  readers: readonly Reader[];
  /** When it is sealed (default now). */
  signedAtMs?: number;
  /**
   * The email's id (default: 16 random bytes); null writes format version 1, without one, as
   * programs did before (only to test that such emails still open).
   */
  emailId?: Buffer | null;
}

/** Returns the sealed email's bytes. Throws INVALID_SEALED_EMAIL for fields the format refuses. */
export function sealEmail(request: SealRequest): Buffer {
  const plaintext = encodeUtf8(request.content);
  if (plaintext.length > MAX_SEALED_CONTENT_BYTES)
    throw sealedError(
      `the content has ${plaintext.length} bytes of UTF-8; at most ${MAX_SEALED_CONTENT_BYTES}`,
    );
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const senderReader = {
    name: request.sender,
    publicKey: createPublicKey(request.senderPrivateKey),
  };
  const readers = [
    ...request.readers.filter((reader) => reader.name !== request.sender),
    senderReader,
  ];
  const keys: WrappedKey[] = readers.map((reader) => ({
    name: reader.name,
    fingerprint: keyDigest(reader.publicKey),
    wrapped: wrapContentKey(reader.publicKey, contentKey),
  }));
  const emailId =
    request.emailId === null ? undefined : (request.emailId ?? randomBytes(EMAIL_ID_BYTES));
  const headerBytes = encodeHeader({
    sender: request.sender,
    signedAtMs: request.signedAtMs ?? Date.now(),
    ...(emailId ? { emailId } : {}),
    title: request.title,
    recipients: [...request.recipients],
    keys,
    commitment: commitmentTo(contentKey),
  });
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', contentKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const signedBytes = encodeSignedPart(headerBytes, {
    nonce,
    ciphertext,
    tag: cipher.getAuthTag(),
  });
  return encodeSealedEmail(signedBytes, signSealed(request.senderPrivateKey, signedBytes));
}
