import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError } from './errors.js';

export const SESSION_KEY_BYTES = 32;
export const RSA_MODULUS_BITS = 2048;

/** RSA-OAEP with SHA-1 and MGF1-SHA-1: PyCryptodome's PKCS1_OAEP defaults, pinned. */
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' } as const;

/** The largest OAEP-SHA-1 plaintext for a key: k - 2*20 - 2 bytes. */
export function maxOaepPlaintextBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? RSA_MODULUS_BITS;
  return Math.floor(bits / 8) - 42;
}

export function rsaEncrypt(publicKey: KeyObject, plaintext: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, ...OAEP }, plaintext);
}

export function rsaDecrypt(privateKey: KeyObject, ciphertext: Buffer): Buffer {
  try {
    return privateDecrypt({ key: privateKey, ...OAEP }, ciphertext);
  } catch (error) {
    throw new ProtocolError('BAD_CIPHERTEXT', 'RSA-OAEP decryption failed', { cause: error });
  }
}

/** AES-256 in ECB mode with PKCS#7 padding, as the specification requires (VI.1.g). */
export function aesEcbEncrypt(key: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

export function aesEcbDecrypt(key: Buffer, ciphertext: Buffer): Buffer {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new ProtocolError(
      'BAD_CIPHERTEXT',
      `AES ciphertext of ${ciphertext.length} bytes is not whole blocks`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-ecb', key, null);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new ProtocolError('BAD_CIPHERTEXT', 'AES decryption failed (bad padding)', {
      cause: error,
    });
  }
}

export function newSessionKey(): Buffer {
  return randomBytes(SESSION_KEY_BYTES);
}

/** Reads a public key from PEM (SPKI or PKCS#1). */
export function parsePublicKey(pem: string | Buffer, source = 'public key'): KeyObject {
  try {
    const key = createPublicKey(pem);
    requireRsa(key, source);
    return key;
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError('BAD_KEY', `${source} is not a PEM public key`, { cause: error });
  }
}

/** Reads a private key from PEM (PKCS#1 or PKCS#8). */
export function parsePrivateKey(pem: string | Buffer, source = 'private key'): KeyObject {
  try {
    const key = createPrivateKey(pem);
    requireRsa(key, source);
    return key;
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError('BAD_KEY', `${source} is not a PEM private key`, { cause: error });
  }
}

function requireRsa(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ProtocolError(
      'BAD_KEY',
      `${source} is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not RSA`,
    );
  }
}

export interface PemKeyPair {
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`), as PyCryptodome's export_key() writes. */
  privatePem: string;
  /** SPKI (`BEGIN PUBLIC KEY`). */
  publicPem: string;
}

export function generateRsaKeyPair(bits = RSA_MODULUS_BITS): Promise<PemKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (error, publicPem, privatePem) => {
        if (error) reject(error);
        else resolve({ privatePem, publicPem });
      },
    );
  });
}
