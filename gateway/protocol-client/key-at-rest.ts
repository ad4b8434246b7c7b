/**
 * A user's private key at rest on the client machine, encrypted under their secret (the
 * password, unless a separate passphrase was chosen), as OpenSSH and GnuPG keep private keys:
 *
 *   -----BEGIN ENCRYPTED PRIVATE KEY-----   PKCS#8 EncryptedPrivateKeyInfo (RFC 5958), PBES2
 *   (RFC 8018) with scrypt (RFC 7914: N 2^14, r 8, p 1, the `openssl pkcs8 -scrypt` defaults) and
 *   AES-256-CBC.
 *
 * Node writes PBES2 only with PBKDF2, so the few DER bytes around the ciphertext are written
 * here; scrypt and AES are node:crypto's, and reading is OpenSSL's own (`createPrivateKey` with
 * the passphrase), as `openssl pkcs8` reads it too. A server's answer never unlocks the key:
 * only what the person typed does, before any byte goes to a server.
 */
import {
  createCipheriv,
  createPrivateKey,
  randomBytes,
  scryptSync,
  type KeyObject,
} from 'node:crypto';
import { parsePrivateKey } from '../../protocol/crypto.js';
import { ProtocolError } from '../../protocol/errors.js';

/** scrypt's cost parameters (RFC 7914): CPU and memory cost N, block size r, parallelism p. */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const KEY_SCRYPT: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 16;
/** scrypt needs 128 · N · r bytes; Node's default ceiling is exactly that, so leave room. */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

const ENCRYPTED_LABEL = 'ENCRYPTED PRIVATE KEY';

// Object identifiers, DER-encoded (tag 06, length, value).
const OID_PBES2 = '06092a864886f70d01050d'; // 1.2.840.113549.1.5.13
const OID_SCRYPT = '06092b06010401da47040b'; // 1.3.6.1.4.1.11591.4.11
const OID_AES256_CBC = '060960864801650304012a'; // 2.16.840.1.101.3.4.1.42

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const der = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const sequence = (...content: Buffer[]): Buffer => der(0x30, ...content);
const octets = (value: Buffer): Buffer => der(0x04, value);
const hex = (value: string): Buffer => Buffer.from(value, 'hex');

function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return der(0x02, Buffer.from(bytes));
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The key as an ENCRYPTED PRIVATE KEY PEM under `passphrase`. The cost is written into the file
 * (a reader takes it from there); anything but KEY_SCRYPT is for the test suite's throwaway keys.
 */
export function encryptPrivateKey(
  key: KeyObject,
  passphrase: string,
  cost: ScryptCost = KEY_SCRYPT,
): string {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const derived = scryptSync(passphrase, salt, KEY_BYTES, { ...cost, maxmem: SCRYPT_MAXMEM });
  const cipher = createCipheriv('aes-256-cbc', derived, iv);
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const scryptParams = sequence(
    octets(salt),
    integer(cost.N),
    integer(cost.r),
    integer(cost.p),
    integer(KEY_BYTES),
  );
  const algorithm = sequence(
    hex(OID_PBES2),
    sequence(sequence(hex(OID_SCRYPT), scryptParams), sequence(hex(OID_AES256_CBC), octets(iv))),
  );
  return pem(ENCRYPTED_LABEL, sequence(algorithm, octets(encrypted)));
}

/** Whether a key file holds an encrypted private key (PKCS#8, or an old-style encrypted PEM). */
export function isEncryptedKey(pemText: Buffer | string): boolean {
  const text = pemText.toString();
  return text.includes(`-----BEGIN ${ENCRYPTED_LABEL}-----`) || /Proc-Type: 4,ENCRYPTED/.test(text);
}

/**
 * The private key of a key file: an encrypted one opened with `passphrase` (a wrong one throws
 * WRONG_KEY_PASSPHRASE, and so does none), a plain one as it is.
 */
export function unlockPrivateKey(
  pemText: Buffer,
  passphrase: string | undefined,
  source: string,
): KeyObject {
  if (!isEncryptedKey(pemText)) return parsePrivateKey(pemText, source);
  if (passphrase === undefined || passphrase === '')
    throw new ProtocolError(
      'WRONG_KEY_PASSPHRASE',
      `${source} is encrypted and no passphrase was given`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pemText, format: 'pem', passphrase });
  } catch (error) {
    throw new ProtocolError('WRONG_KEY_PASSPHRASE', `the password does not unlock ${source}`, {
      cause: error,
    });
  }
  // A key that opens must still be the RSA key the protocol needs.
  return parsePrivateKey(key.export({ type: 'pkcs8', format: 'pem' }), source);
}
