import { createHash, type KeyObject } from 'node:crypto';

/** Keys are loaded once per process; their fingerprints need not be recomputed per login. */
const cache = new WeakMap<KeyObject, string>();

/**
 * A public key's fingerprint as OpenSSH shows one: "SHA256:" and the unpadded base64 of the
 * SHA-256 of the key's DER (SubjectPublicKeyInfo) encoding. Users compare it out of band.
 */
export function keyFingerprint(publicKey: KeyObject): string {
  const known = cache.get(publicKey);
  if (known !== undefined) return known;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  cache.set(publicKey, fingerprint);
  return fingerprint;
}
