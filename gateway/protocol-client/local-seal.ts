/**
 * What the clients keep for a user on this machine (the gateway's Sent folder, the keyring's
 * pins), sealed to that user's own key: a storage key derived from the unlocked private key (HKDF-SHA256 over its PKCS#8
 * bytes, bound to the user's name), and AES-256-GCM per record with a random nonce and the
 * record's kind as associated data. Without the unlocked key, which only the password opens,
 * nothing kept can be read, and nothing altered or swapped in goes unnoticed (a record can
 * still be removed whole).
 *
 *   record = "SMSEAL1\n" | nonce (12) | tag (16) | ciphertext
 */
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

const MAGIC = Buffer.from('SMSEAL1\n', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** What a record adds to its plaintext. */
export const SEAL_OVERHEAD = MAGIC.length + NONCE_BYTES + TAG_BYTES;

/** A record that does not open with this user's key: altered, or sealed for someone else. */
export class LocalSealError extends Error {
  constructor(kind: string) {
    super(`a ${kind} record kept on this machine does not open with this user's key`);
    this.name = 'LocalSealError';
  }
}

export class LocalSeal {
  readonly #key: Buffer;

  constructor(privateKey: KeyObject, username: string) {
    this.#key = Buffer.from(
      hkdfSync(
        'sha256',
        privateKey.export({ type: 'pkcs8', format: 'der' }),
        'sealed-mail local storage',
        `user:${username}`,
        32,
      ),
    );
  }

  /** Whether bytes start as a sealed record does. */
  static isSealed(data: Buffer): boolean {
    return data.subarray(0, MAGIC.length).equals(MAGIC);
  }

  seal(kind: string, plaintext: Buffer): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(kind, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, nonce, cipher.getAuthTag(), ciphertext]);
  }

  /** The plaintext of a record; LocalSealError when it does not open. */
  open(kind: string, record: Buffer): Buffer {
    if (!LocalSeal.isSealed(record) || record.length < SEAL_OVERHEAD)
      throw new LocalSealError(kind);
    const nonce = record.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
    const tag = record.subarray(MAGIC.length + NONCE_BYTES, SEAL_OVERHEAD);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce);
    decipher.setAAD(Buffer.from(kind, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(record.subarray(SEAL_OVERHEAD)), decipher.final()]);
    } catch {
      throw new LocalSealError(kind);
    }
  }
}
