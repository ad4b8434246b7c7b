/**
 * A sealed email, byte by byte (docs/SEALED.md, section 2). Integers are big-endian; a name or
 * text is a u16 length then UTF-8.
 *
 *   header     magic "SEALMAIL" (8) | format version (1) | sender | signed at, ms (u64) |
 *              email id (16, version 2 only) | title |
 *              recipient count (u16) | recipients | key count (u16) |
 *              count x [ name | key fingerprint (32) | wrapped content key (u16 + bytes) ] |
 *              key commitment (32)
 *   body       nonce (12) | ciphertext (u32 + bytes) | tag (16)
 *   signature  u16 + bytes: RSA-PSS by the sender over the context and SHA-256(header || body)
 *
 * The header is the AEAD's additional data, so the content decrypts only under the names,
 * title, time and keys it was sealed with. The decoder checks every count and length against
 * its bound and against what is left before it reads or allocates anything.
 */
import { FieldReader, FieldWriter } from '../binary.js';
import { ProtocolError } from '../errors.js';
import { MAX_RECIPIENTS, MAX_TITLE_CHARS, USERNAME_PATTERN } from '../limits.js';
import { codePointLength } from '../text.js';
import {
  DIGEST_BYTES,
  EMAIL_ID_BYTES,
  FINGERPRINT_BYTES,
  MAX_KEY_HOLDERS,
  MAX_SEALED_BYTES,
  MAX_SEALED_CONTENT_BYTES,
  MAX_SEALED_TITLE_BYTES,
  MAX_SIGNATURE_BYTES,
  MAX_WRAPPED_KEY_BYTES,
  NONCE_BYTES,
  SEALED_FORMAT_VERSION,
  SEALED_FORMAT_VERSION_WITHOUT_ID,
  SEALED_MAGIC,
  TAG_BYTES,
} from './suite.js';

/** The content key, wrapped for one reader's public key. */
export interface WrappedKey {
  name: string;
  /** SHA-256 of the reader's public key (DER SubjectPublicKeyInfo). */
  fingerprint: Buffer;
  wrapped: Buffer;
}

/** Everything the sender signs in clear; the AEAD's additional data. */
export interface SealedHeader {
  sender: string;
  /** When the sender sealed it, in milliseconds since 1970 (the sender's clock). */
  signedAtMs: number;
  /**
   * Random, chosen by the sender, signed (format version 2): every copy of one sealed email
   * carries the same id, so a reader can tell a second copy. Absent in format version 1.
   */
  emailId?: Buffer;
  title: string;
  /** In the order the sender wrote them; distinct. */
  recipients: string[];
  /** One per reader: recipients the sender had a key for, and the sender. */
  keys: WrappedKey[];
  /** SHA-256 of the content key (with its context): every reader unwraps the same key. */
  commitment: Buffer;
}

export interface SealedEmail extends SealedHeader {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  signature: Buffer;
  /** The encoded header, as the AEAD authenticated it. */
  headerBytes: Buffer;
  /** Header and body: what the signature covers. */
  signedBytes: Buffer;
}

/** Names and text fields in the header are short; generous bounds for the decoder. */
const MAX_NAME_BYTES = 64;
/** The smallest wrapped-key entry: a 1-byte name, the fingerprint and a 1-byte key. */
const MIN_KEY_ENTRY_BYTES = 2 + 1 + FINGERPRINT_BYTES + 2 + 1;

export const sealedError = (message: string): ProtocolError =>
  new ProtocolError('INVALID_SEALED_EMAIL', message, { fatal: false });

/** The rules of the header, for the sealer (a bug to break) and the decoder (a forgery). */
export function checkHeader(header: SealedHeader): void {
  const isName = (name: string): boolean => USERNAME_PATTERN.test(name);
  if (!isName(header.sender)) throw sealedError('the sender is not a username');
  if (codePointLength(header.title) > MAX_TITLE_CHARS)
    throw sealedError(`the title is longer than ${MAX_TITLE_CHARS} characters`);
  if (/[\r\n]/.test(header.title)) throw sealedError('the title must be a single line');
  const { recipients, keys } = header;
  if (recipients.length === 0 || recipients.length > MAX_RECIPIENTS)
    throw sealedError(`${recipients.length} recipients; from 1 to ${MAX_RECIPIENTS} are allowed`);
  if (!recipients.every(isName)) throw sealedError('a recipient is not a username');
  if (new Set(recipients).size !== recipients.length)
    throw sealedError('a recipient is listed twice');
  const readers = new Set([...recipients, header.sender]);
  const holders = keys.map((key) => key.name);
  if (new Set(holders).size !== holders.length)
    throw sealedError('a content key is wrapped twice for one name');
  if (!holders.every((name) => readers.has(name)))
    throw sealedError('a content key is wrapped for someone who is neither sender nor recipient');
  if (!holders.includes(header.sender))
    throw sealedError('the content key is not wrapped for the sender');
  for (const key of keys) {
    if (key.fingerprint.length !== FINGERPRINT_BYTES)
      throw sealedError('a key fingerprint is not a SHA-256 digest');
    if (key.wrapped.length === 0 || key.wrapped.length > MAX_WRAPPED_KEY_BYTES)
      throw sealedError(`a wrapped key has ${key.wrapped.length} bytes`);
  }
  if (header.emailId !== undefined && header.emailId.length !== EMAIL_ID_BYTES)
    throw sealedError(`the email id has ${header.emailId.length} bytes, not ${EMAIL_ID_BYTES}`);
  if (header.commitment.length !== DIGEST_BYTES)
    throw sealedError('the key commitment is not a SHA-256 digest');
}

export function encodeHeader(header: SealedHeader): Buffer {
  checkHeader(header);
  const { emailId } = header;
  const writer = new FieldWriter()
    .raw(Buffer.from(SEALED_MAGIC, 'ascii'))
    // Without an id only to write what older programs wrote (tests of reading old mail).
    .u8(emailId ? SEALED_FORMAT_VERSION : SEALED_FORMAT_VERSION_WITHOUT_ID)
    .text(header.sender)
    .u64(header.signedAtMs);
  if (emailId) writer.raw(emailId);
  writer.text(header.title).u16(header.recipients.length);
  for (const name of header.recipients) writer.text(name);
  writer.u16(header.keys.length);
  for (const key of header.keys) writer.text(key.name).raw(key.fingerprint).bytes(key.wrapped);
  return writer.raw(header.commitment).done();
}

/** Header and body, ready to be signed. */
export function encodeSignedPart(
  headerBytes: Buffer,
  body: { nonce: Buffer; ciphertext: Buffer; tag: Buffer },
): Buffer {
  return new FieldWriter()
    .raw(headerBytes)
    .raw(body.nonce)
    .longBytes(body.ciphertext)
    .raw(body.tag)
    .done();
}

export function encodeSealedEmail(signedBytes: Buffer, signature: Buffer): Buffer {
  return new FieldWriter().raw(signedBytes).bytes(signature).done();
}

function readHeader(reader: FieldReader): SealedHeader {
  const magic = reader.fixed('magic', SEALED_MAGIC.length).toString('latin1');
  if (magic !== SEALED_MAGIC) throw reader.fail('it does not start with the sealed-email magic');
  const version = reader.u8('format version');
  if (version !== SEALED_FORMAT_VERSION && version !== SEALED_FORMAT_VERSION_WITHOUT_ID)
    throw reader.fail(
      `format version ${version} is not known (this program reads versions 1 and 2)`,
    );
  const sender = reader.text('sender', MAX_NAME_BYTES);
  const signedAtMs = reader.u64('signing time');
  const emailId =
    version === SEALED_FORMAT_VERSION ? reader.fixed('email id', EMAIL_ID_BYTES) : undefined;
  const title = reader.text('title', MAX_SEALED_TITLE_BYTES);
  const recipientCount = reader.count('recipients', 3);
  if (recipientCount > MAX_RECIPIENTS)
    throw reader.fail(`${recipientCount} recipients; at most ${MAX_RECIPIENTS} are allowed`);
  const recipients: string[] = [];
  for (let i = 0; i < recipientCount; i++)
    recipients.push(reader.text('recipient', MAX_NAME_BYTES));
  const keyCount = reader.count('wrapped keys', MIN_KEY_ENTRY_BYTES);
  if (keyCount > MAX_KEY_HOLDERS)
    throw reader.fail(`${keyCount} wrapped keys; at most ${MAX_KEY_HOLDERS} are allowed`);
  const keys: WrappedKey[] = [];
  for (let i = 0; i < keyCount; i++) {
    const name = reader.text('key holder', MAX_NAME_BYTES);
    const fingerprint = reader.fixed('key fingerprint', FINGERPRINT_BYTES);
    keys.push({ name, fingerprint, wrapped: reader.bytes('wrapped key', MAX_WRAPPED_KEY_BYTES) });
  }
  const commitment = reader.fixed('key commitment', DIGEST_BYTES);
  return {
    sender,
    signedAtMs,
    ...(emailId ? { emailId } : {}),
    title,
    recipients,
    keys,
    commitment,
  };
}

/**
 * Reads a sealed email; checks its structure, never its cryptography (open.ts does that).
 * Throws a non-fatal INVALID_SEALED_EMAIL ProtocolError saying what is wrong.
 */
export function decodeSealedEmail(blob: Buffer): SealedEmail {
  if (blob.length > MAX_SEALED_BYTES)
    throw sealedError(`${blob.length} bytes; a sealed email has at most ${MAX_SEALED_BYTES}`);
  const reader = new FieldReader(blob, 'sealed email', 'INVALID_SEALED_EMAIL');
  try {
    const header = readHeader(reader);
    const headerEnd = blob.length - reader.remaining;
    checkHeader(header);
    const nonce = reader.fixed('nonce', NONCE_BYTES);
    const ciphertext = reader.longBytes('ciphertext', MAX_SEALED_CONTENT_BYTES);
    const tag = reader.fixed('tag', TAG_BYTES);
    const signedEnd = blob.length - reader.remaining;
    const signature = reader.bytes('signature', MAX_SIGNATURE_BYTES);
    reader.end();
    if (signature.length === 0) throw sealedError('the sealed email is not signed');
    return {
      ...header,
      nonce,
      ciphertext,
      tag,
      signature,
      headerBytes: blob.subarray(0, headerEnd),
      signedBytes: blob.subarray(0, signedEnd),
    };
  } catch (error) {
    // The reader's errors are fatal by default; a bad sealed email is not a broken session.
    if (error instanceof ProtocolError && error.fatal) throw sealedError(error.message);
    throw error;
  }
}
