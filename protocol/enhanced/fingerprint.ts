import { createHash, type KeyObject } from 'node:crypto';

/** Keys are loaded once per process; their fingerprints need not be recomputed per login. */
const cache = new WeakMap<KeyObject, string>();

const digests = new WeakMap<KeyObject, Buffer>();

/** SHA-256 of a public key's DER (SubjectPublicKeyInfo) encoding; kept per key, as fingerprints are. */
export function keyDigest(publicKey: KeyObject): Buffer {
  const known = digests.get(publicKey);
  if (known !== undefined) return known;
  const digest = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
  digests.set(publicKey, digest);
  return digest;
}

/** A key digest as OpenSSH shows one: "SHA256:" and its unpadded base64. */
export const fingerprintOfDigest = (digest: Buffer): string =>
  `SHA256:${digest.toString('base64').replace(/=+$/, '')}`;

/**
 * A public key's fingerprint as OpenSSH shows one: "SHA256:" and the unpadded base64 of the
 * SHA-256 of the key's DER (SubjectPublicKeyInfo) encoding. Users compare it out of band.
 */
export function keyFingerprint(publicKey: KeyObject): string {
  const known = cache.get(publicKey);
  if (known !== undefined) return known;
  const fingerprint = fingerprintOfDigest(keyDigest(publicKey));
  cache.set(publicKey, fingerprint);
  return fingerprint;
}
