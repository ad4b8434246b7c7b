/**
 * The sealed format's cryptography, each step once: wrapping the content key for a reader,
 * committing to it, and the sender's signature. Everything comes from node:crypto.
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { pssSign, pssVerify, sha256 } from '../enhanced/transcript.js';
import { encodeUtf8 } from '../utf8.js';
import { KEY_COMMITMENT_CONTEXT, SEALED_SIGNATURE_CONTEXT, WRAPPED_KEY_LABEL } from './suite.js';

/** RSA-OAEP with SHA-256 and MGF1-SHA-256, labelled, so that no other use of the key decrypts it. */
const OAEP = {
  padding: constants.RSA_PKCS1_OAEP_PADDING,
  oaepHash: 'sha256',
  oaepLabel: encodeUtf8(WRAPPED_KEY_LABEL),
} as const;

export function wrapContentKey(readerKey: KeyObject, contentKey: Buffer): Buffer {
  return publicEncrypt({ key: readerKey, ...OAEP }, contentKey);
}

/** The content key, or undefined when the wrapped key is not for this private key (or was altered). */
export function unwrapContentKey(privateKey: KeyObject, wrapped: Buffer): Buffer | undefined {
  try {
    return privateDecrypt({ key: privateKey, ...OAEP }, wrapped);
  } catch {
    return undefined;
  }
}

/**
 * What the header commits to: readers check that the key they unwrapped is this one, so a
 * sender cannot give two readers two keys under which one ciphertext says two things.
 */
export const commitmentTo = (contentKey: Buffer): Buffer =>
  sha256(encodeUtf8(KEY_COMMITMENT_CONTEXT), contentKey);

const signedContent = (signedBytes: Buffer): Buffer =>
  Buffer.concat([encodeUtf8(SEALED_SIGNATURE_CONTEXT), sha256(signedBytes)]);

export const signSealed = (privateKey: KeyObject, signedBytes: Buffer): Buffer =>
  pssSign(privateKey, signedContent(signedBytes));

export const verifySealed = (
  publicKey: KeyObject,
  signedBytes: Buffer,
  signature: Buffer,
): boolean => pssVerify(publicKey, signedContent(signedBytes), signature);
