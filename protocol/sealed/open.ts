/**
 * Opening: the signature first (nothing unauthenticated is decrypted), then this reader's
 * wrapped key, the key commitment, and the content under AES-256-GCM with the header as
 * additional data. Each way it can fail has its own problem code.
 */
import { createDecipheriv, type KeyObject } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { MAX_CONTENT_CHARS } from '../limits.js';
import { codePointLength } from '../text.js';
import type { SealedEmail } from './format.js';
import type { SealedProblem } from './problems.js';
import { commitmentTo, unwrapContentKey, verifySealed } from './primitives.js';
import { TAG_BYTES } from './suite.js';

export interface SealedReader {
  name: string;
  privateKey: KeyObject;
  /** SHA-256 of the reader's public key (keyDigest). */
  keyDigest: Buffer;
}

export type OpenOutcome = { content: string } | { problem: SealedProblem };

export function openSealedEmail(
  sealed: SealedEmail,
  reader: SealedReader,
  signerKey: KeyObject,
): OpenOutcome {
  if (!verifySealed(signerKey, sealed.signedBytes, sealed.signature))
    return { problem: 'BAD_SIGNATURE' };
  const entry = sealed.keys.find((key) => key.name === reader.name);
  if (!entry) return { problem: 'NOT_FOR_YOU' };
  if (!entry.fingerprint.equals(reader.keyDigest)) return { problem: 'WRONG_KEY' };
  const contentKey = unwrapContentKey(reader.privateKey, entry.wrapped);
  if (!contentKey || !commitmentTo(contentKey).equals(sealed.commitment))
    return { problem: 'UNREADABLE' };
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', contentKey, sealed.nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(sealed.headerBytes);
    decipher.setAuthTag(sealed.tag);
    plaintext = Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return { problem: 'UNREADABLE' };
  }
  if (!isUtf8(plaintext)) return { problem: 'UNREADABLE' };
  const content = plaintext.toString('utf8');
  if (codePointLength(content) > MAX_CONTENT_CHARS) return { problem: 'UNREADABLE' };
  return { content };
}

/** The server's lines for a stored email, as the listing and the stored file show them. */
export interface StoredEnvelope {
  from: string;
  to: readonly string[];
  title: string;
}

/** The lines of the server's copy that differ from what the sender signed. */
export function alteredEnvelopeLines(stored: StoredEnvelope, sealed: SealedEmail): string[] {
  const altered: string[] = [];
  if (stored.from !== sealed.sender) altered.push('From');
  const { to } = stored;
  if (to.length !== sealed.recipients.length || to.some((name, i) => name !== sealed.recipients[i]))
    altered.push('To');
  if (stored.title !== sealed.title) altered.push('Title');
  return altered;
}
