/**
 * The handshake transcript and the signatures over it. Both signatures cover the hash of
 * every handshake byte exchanged (as SSH's exchange hash H and TLS 1.3's CertificateVerify do),
 * so a signature binds both ephemeral keys and both randoms: it proves the signer took part in
 * this very exchange, and cannot be replayed into another.
 */
import { constants, createHash, sign, verify, type KeyObject } from 'node:crypto';
import { encodeUtf8 } from '../utf8.js';
import {
  CLIENT_SIGNATURE_CONTEXT,
  SERVER_KEY_UPDATE_CONTEXT,
  SERVER_SIGNATURE_CONTEXT,
} from './suite.js';

export function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** RSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt. */
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

/** What the server signs: its context string, then SHA-256(ClientHello || unsigned ServerHello). */
export function serverSignedContent(clientHello: Buffer, serverHelloUnsigned: Buffer): Buffer {
  return Buffer.concat([
    encodeUtf8(SERVER_SIGNATURE_CONTEXT),
    sha256(clientHello, serverHelloUnsigned),
  ]);
}

/** What the client signs: its context string, the transcript hash, then its username. */
export function clientSignedContent(transcriptHash: Buffer, username: string): Buffer {
  return Buffer.concat([
    encodeUtf8(CLIENT_SIGNATURE_CONTEXT),
    transcriptHash,
    encodeUtf8(username),
  ]);
}

/**
 * What the key being replaced signs when it hands over to the new one: its context string, the
 * transcript hash (so the update belongs to this session, as OpenSSH's hostkeys-prove binds
 * its proofs to the session id), the new key's DER and the window's end.
 */
export function serverKeyUpdateSignedContent(
  transcriptHash: Buffer,
  newKeyDer: Buffer,
  untilMs: number,
): Buffer {
  const until = Buffer.alloc(8);
  until.writeBigUInt64BE(BigInt(untilMs));
  return Buffer.concat([encodeUtf8(SERVER_KEY_UPDATE_CONTEXT), transcriptHash, newKeyDer, until]);
}

export function pssSign(privateKey: KeyObject, content: Buffer): Buffer {
  return sign('sha256', content, { key: privateKey, ...PSS });
}

export function pssVerify(publicKey: KeyObject, content: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', content, { key: publicKey, ...PSS }, signature);
  } catch {
    return false;
  }
}
