/**
 * The sealed-email format's fixed parameters and bounds (docs/SEALED.md draws the format).
 * One suite, no options: AES-256-GCM for the content, RSA-OAEP-SHA256 to wrap its key for each
 * reader, RSA-PSS-SHA256 for the sender's signature, SHA-256 for fingerprints and digests.
 *
 * Browser-safe (no Node imports): protocol/email.ts, which the browser imports, reads a stored
 * sealed body's bound from here.
 */
import {
  MAX_CONTENT_CHARS,
  MAX_RECIPIENTS,
  MAX_TITLE_CHARS,
  MAX_USERNAME_CHARS,
} from '../limits.js';

export const SEALED_MAGIC = 'SEALMAIL';
/** Version 2 adds the email id (EMAIL_ID_BYTES, after the signing time); version 1 is still read. */
export const SEALED_FORMAT_VERSION = 2;
export const SEALED_FORMAT_VERSION_WITHOUT_ID = 1;
/** A random id per sealed email, signed: a second copy of an email carries the same one. */
export const EMAIL_ID_BYTES = 16;

/**
 * Contexts, as the enhanced handshake's signatures have (protocol/enhanced/suite.ts): a
 * signature or a wrapped key made for a sealed email can never pass for anything else made with
 * the same RSA key (a login signature, a classic session key, which uses OAEP with SHA-1).
 */
export const SEALED_SIGNATURE_CONTEXT = 'sealed-mail sealed email v1, sender signature\0';
export const KEY_COMMITMENT_CONTEXT = 'sealed-mail sealed email v1, key commitment\0';
export const WRAPPED_KEY_LABEL = 'sealed-mail sealed email v1, content key';

export const CONTENT_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const DIGEST_BYTES = 32;
/** SHA-256 of a key's DER SubjectPublicKeyInfo: what keyFingerprint shows in base64. */
export const FINGERPRINT_BYTES = DIGEST_BYTES;

/** An RSA-4096 key wraps and signs in 512 bytes; this project's keys are RSA-2048 (256). */
export const MAX_WRAPPED_KEY_BYTES = 512;
export const MAX_SIGNATURE_BYTES = 512;
/** UTF-8 takes at most 4 bytes a code point. */
export const MAX_SEALED_CONTENT_BYTES = MAX_CONTENT_CHARS * 4;
export const MAX_SEALED_TITLE_BYTES = MAX_TITLE_CHARS * 4;
/** Every recipient and the sender, who can read their own sealed email. */
export const MAX_KEY_HOLDERS = MAX_RECIPIENTS + 1;

const NAME_FIELD = 2 + MAX_USERNAME_CHARS;

/** The largest sealed email: every field at its largest (section 2 of docs/SEALED.md). */
export const MAX_SEALED_BYTES =
  SEALED_MAGIC.length +
  1 + // format version
  NAME_FIELD + // sender
  8 + // signed at
  EMAIL_ID_BYTES +
  2 +
  MAX_SEALED_TITLE_BYTES +
  2 +
  MAX_RECIPIENTS * NAME_FIELD +
  2 +
  MAX_KEY_HOLDERS * (NAME_FIELD + FINGERPRINT_BYTES + 2 + MAX_WRAPPED_KEY_BYTES) +
  DIGEST_BYTES + // key commitment
  NONCE_BYTES +
  4 +
  MAX_SEALED_CONTENT_BYTES +
  TAG_BYTES +
  2 +
  MAX_SIGNATURE_BYTES;

/** A sealed body as stored: the email's content is this armour (base64 lines between two marks). */
export const ARMOUR_BEGIN = '-----BEGIN SEALED EMAIL-----';
export const ARMOUR_END = '-----END SEALED EMAIL-----';
export const ARMOUR_LINE_CHARS = 64;

/** Characters of the armour of `bytes` bytes: the marks, the base64 and a newline per line. */
export function armouredLength(bytes: number): number {
  const base64 = 4 * Math.ceil(bytes / 3);
  return (
    ARMOUR_BEGIN.length + 1 + base64 + Math.ceil(base64 / ARMOUR_LINE_CHARS) + ARMOUR_END.length
  );
}

/**
 * The longest content a stored sealed email may have, in place of the 1,000,000 characters of a
 * plain one: the armour of the largest sealed email (about 5.5 million ASCII characters).
 */
export const MAX_ARMOUR_CHARS = armouredLength(MAX_SEALED_BYTES);

/** Whether a stored email's content is a sealed body (its first line is the armour's mark). */
export const isSealedArmour = (content: string): boolean => content.startsWith(`${ARMOUR_BEGIN}\n`);
