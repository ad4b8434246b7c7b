import { createHash, type KeyObject } from 'node:crypto';

/**
 * A public key's fingerprint as OpenSSH shows one: "SHA256:" and the unpadded base64 of the
 * SHA-256 of the key's DER (SubjectPublicKeyInfo) encoding. Users compare it out of band.
 */
export function keyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}
