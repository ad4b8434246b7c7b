import { describe, expect, it, beforeAll } from 'vitest';
import forge from 'node-forge';
import { createPrivateKey, randomBytes } from 'node:crypto';
import {
  aesEcbDecrypt,
  aesEcbEncrypt,
  generateRsaKeyPair,
  maxOaepPlaintextBytes,
  parsePrivateKey,
  parsePublicKey,
  rsaDecrypt,
  rsaEncrypt,
  type PemKeyPair,
} from '../../protocol/crypto.js';
import { decryptLogin, encryptLogin } from '../../protocol/classic/login.js';
import { isProtocolError } from '../../protocol/errors.js';

// node-forge is an independent implementation: what one encrypts, the other must decrypt.
const forgeOaep = { md: forge.md.sha1.create(), mgf1: { md: forge.md.sha1.create() } };
const toForgeBytes = (buffer: Buffer): string =>
  forge.util.binary.raw.encode(new Uint8Array(buffer));
const fromForgeBytes = (bytes: string): Buffer => Buffer.from(forge.util.binary.raw.decode(bytes));

function forgeAesEcb(key: Buffer, data: Buffer, encrypt: boolean): Buffer {
  const cipher = encrypt
    ? forge.cipher.createCipher('AES-ECB', toForgeBytes(key))
    : forge.cipher.createDecipher('AES-ECB', toForgeBytes(key));
  cipher.start();
  cipher.update(forge.util.createBuffer(toForgeBytes(data)));
  if (!cipher.finish()) throw new Error('forge: bad padding');
  return fromForgeBytes(cipher.output.getBytes());
}

describe('crypto against node-forge', () => {
  let pair: PemKeyPair;
  beforeAll(async () => {
    pair = await generateRsaKeyPair();
  });

  it('writes PKCS#1 private and SPKI public PEM, as PyCryptodome does', () => {
    expect(pair.privatePem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(pair.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(parsePublicKey(pair.publicPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('reads PKCS#8 private keys too', () => {
    const pkcs8 = createPrivateKey(pair.privatePem).export({ type: 'pkcs8', format: 'pem' });
    expect(pkcs8).toMatch(/BEGIN PRIVATE KEY/);
    const key = parsePrivateKey(pkcs8);
    const ciphertext = rsaEncrypt(parsePublicKey(pair.publicPem), Buffer.from('x'));
    expect(rsaDecrypt(key, ciphertext).toString()).toBe('x');
  });

  it('RSA-OAEP-SHA1: forge decrypts what node encrypts', () => {
    const plaintext = randomBytes(32);
    const ciphertext = rsaEncrypt(parsePublicKey(pair.publicPem), plaintext);
    const forgeKey = forge.pki.privateKeyFromPem(pair.privatePem);
    expect(
      fromForgeBytes(forgeKey.decrypt(toForgeBytes(ciphertext), 'RSA-OAEP', forgeOaep)),
    ).toEqual(plaintext);
  });

  it('RSA-OAEP-SHA1: node decrypts what forge encrypts', () => {
    const forgeKey = forge.pki.publicKeyFromPem(pair.publicPem);
    const login = Buffer.from('client1\npassword1');
    const ciphertext = fromForgeBytes(forgeKey.encrypt(toForgeBytes(login), 'RSA-OAEP', forgeOaep));
    expect(decryptLogin(parsePrivateKey(pair.privatePem), ciphertext)).toEqual({
      username: 'client1',
      password: 'password1',
    });
  });

  it('refuses a login that does not fit one OAEP block', () => {
    const key = parsePublicKey(pair.publicPem);
    expect(maxOaepPlaintextBytes(key)).toBe(214);
    try {
      encryptLogin(key, { username: 'u', password: 'p'.repeat(213) });
      expect.unreachable();
    } catch (error) {
      expect(isProtocolError(error, 'LOGIN_TOO_LONG')).toBe(true);
    }
    expect(encryptLogin(key, { username: 'u', password: 'p'.repeat(212) })).toHaveLength(256);
  });

  it('AES-256-ECB with PKCS#7 both ways, at every length across block boundaries', () => {
    const key = randomBytes(32);
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 1000]) {
      const plaintext = randomBytes(length);
      const ours = aesEcbEncrypt(key, plaintext);
      expect(ours.length).toBe((Math.floor(length / 16) + 1) * 16);
      expect(forgeAesEcb(key, ours, false)).toEqual(plaintext);
      expect(aesEcbDecrypt(key, forgeAesEcb(key, plaintext, true))).toEqual(plaintext);
    }
  });

  it('is ECB: equal plaintext blocks give equal ciphertext blocks', () => {
    const key = randomBytes(32);
    const ciphertext = aesEcbEncrypt(key, Buffer.alloc(32, 0x41));
    expect(ciphertext.subarray(0, 16)).toEqual(ciphertext.subarray(16, 32));
  });

  it('gives a typed error for bad padding or a partial block', () => {
    const key = randomBytes(32);
    const wrongKey = randomBytes(32);
    const ciphertext = aesEcbEncrypt(key, Buffer.from('hello'));
    for (const bad of [ciphertext.subarray(0, 10), Buffer.alloc(0)]) {
      expect(() => aesEcbDecrypt(key, bad)).toThrow(/whole blocks/);
    }
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      try {
        aesEcbDecrypt(wrongKey, aesEcbEncrypt(randomBytes(32), Buffer.from('hello')));
      } catch (error) {
        expect(isProtocolError(error, 'BAD_CIPHERTEXT')).toBe(true);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(10);
  });

  it('refuses a key that is not RSA or not PEM', () => {
    expect(() => parsePublicKey('not a key')).toThrow(/not a PEM public key/);
    expect(() =>
      parsePrivateKey('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n'),
    ).toThrow(/not a PEM private key/);
  });
});
