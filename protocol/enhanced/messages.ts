/**
 * The handshake messages, byte by byte (docs/SECURITY.md draws them). Each travels in one
 * 8-byte-length frame; the decoders check every length before reading a field.
 */
import { FieldReader, FieldWriter } from '../binary.js';
import { ProtocolError } from '../errors.js';
import {
  HandshakeType,
  KEY_DIGEST_BYTES,
  RANDOM_BYTES,
  SessionVersion,
  X25519_PUBLIC_BYTES,
} from './suite.js';

/**
 * type (1) | version (1) | client_random (32) | client X25519 public key (32)
 *   [from session version 6: | SHA-256 of the server key the client holds (32)]
 * `version`: the highest session version the client speaks.
 */
export interface ClientHello {
  version: number;
  random: Buffer;
  ephemeralPublic: Buffer;
  /** From version 6: which server key the client will verify with (fingerprint.ts `keyDigest`). */
  heldServerKey?: Buffer;
}

/**
 * type (1) | version (1) | server_random (32) | server X25519 public key (32) | sig length (2) | signature
 * `version`: the session version chosen, never above the client's.
 */
export interface ServerHello {
  version: number;
  random: Buffer;
  ephemeralPublic: Buffer;
  signature: Buffer;
}

/** Inside the first client record: user length (2) | user | password length (2) | password | sig length (2) | signature */
export interface ClientAuth {
  username: string;
  password: string;
  signature: Buffer;
}

const HELLO_FIXED_BYTES = 2 + RANDOM_BYTES + X25519_PUBLIC_BYTES;
const MAX_SIGNATURE_BYTES = 1024; // an RSA-8192 signature; anything longer is not one

function handshakeError(message: string): ProtocolError {
  return new ProtocolError('HANDSHAKE_FAILED', message);
}

function encodeHelloPrefix(
  type: number,
  hello: { version: number; random: Buffer; ephemeralPublic: Buffer },
): Buffer {
  return Buffer.concat([Buffer.from([type, hello.version]), hello.random, hello.ephemeralPublic]);
}

function decodeHelloPrefix(
  frame: Buffer,
  type: number,
  name: string,
): { version: number; random: Buffer; ephemeralPublic: Buffer } {
  if (frame.length < HELLO_FIXED_BYTES || frame[0] !== type) {
    throw handshakeError(
      `expected a ${name} (${HELLO_FIXED_BYTES}+ bytes starting with ${type}), got ${frame.length} bytes`,
    );
  }
  const version = frame[1] ?? 0;
  if (version === 0) throw handshakeError(`${name} of session version 0, which does not exist`);
  return {
    version,
    random: frame.subarray(2, 2 + RANDOM_BYTES),
    ephemeralPublic: frame.subarray(2 + RANDOM_BYTES, HELLO_FIXED_BYTES),
  };
}

const namesHeldKey = (version: number): boolean => version >= SessionVersion.serverKeyUpdates;

export function encodeClientHello(hello: ClientHello): Buffer {
  const prefix = encodeHelloPrefix(HandshakeType.clientHello, hello);
  if (!namesHeldKey(hello.version)) return prefix;
  if (hello.heldServerKey?.length !== KEY_DIGEST_BYTES)
    throw handshakeError(`a version ${hello.version} ClientHello names the server key it holds`);
  return Buffer.concat([prefix, hello.heldServerKey]);
}

export function decodeClientHello(frame: Buffer): ClientHello {
  const prefix = decodeHelloPrefix(frame, HandshakeType.clientHello, 'ClientHello');
  const expected = HELLO_FIXED_BYTES + (namesHeldKey(prefix.version) ? KEY_DIGEST_BYTES : 0);
  if (frame.length !== expected)
    throw handshakeError(
      `ClientHello of version ${prefix.version} and ${frame.length} bytes, not ${expected}`,
    );
  if (!namesHeldKey(prefix.version)) return prefix;
  return { ...prefix, heldServerKey: frame.subarray(HELLO_FIXED_BYTES) };
}

/** The part of the ServerHello that its signature covers (everything before the signature). */
export function encodeServerHelloUnsigned(hello: Omit<ServerHello, 'signature'>): Buffer {
  return encodeHelloPrefix(HandshakeType.serverHello, hello);
}

export function encodeServerHello(hello: ServerHello): Buffer {
  return new FieldWriter().raw(encodeServerHelloUnsigned(hello)).bytes(hello.signature).done();
}

export function decodeServerHello(frame: Buffer): ServerHello {
  const prefix = decodeHelloPrefix(frame, HandshakeType.serverHello, 'ServerHello');
  const reader = new FieldReader(
    frame.subarray(HELLO_FIXED_BYTES),
    'ServerHello',
    'HANDSHAKE_FAILED',
  );
  const signature = reader.bytes('signature', MAX_SIGNATURE_BYTES);
  reader.end();
  return { ...prefix, signature };
}

export function encodeClientAuth(auth: ClientAuth): Buffer {
  return new FieldWriter().text(auth.username).text(auth.password).bytes(auth.signature).done();
}

export function decodeClientAuth(payload: Buffer): ClientAuth {
  const reader = new FieldReader(payload, 'ClientAuth', 'HANDSHAKE_FAILED');
  const username = reader.text('username', 1024);
  const password = reader.text('password', 4096);
  const signature = reader.bytes('signature', MAX_SIGNATURE_BYTES);
  reader.end();
  return { username, password, signature };
}

/**
 * From session version 6, the server's "OK" to the credentials may carry, after its two bytes,
 * the server's new key, signed by the key this session's handshake was verified with:
 *
 *   0x01 | key length (2) | new key, SPKI DER | window end (8, ms since 1970) | sig length (2) | signature
 */
export interface ServerKeyUpdateMessage {
  /** The new public key, SubjectPublicKeyInfo DER. */
  publicKeyDer: Buffer;
  /** When the server stops accepting the key the client holds now (ms since 1970). */
  untilMs: number;
  /** RSA-PSS by the key the client holds, over transcript.ts `serverKeyUpdateSignedContent`. */
  signature: Buffer;
}

const SERVER_KEY_UPDATE = 0x01;
const MAX_PUBLIC_KEY_DER_BYTES = 2048; // an RSA-8192 key is about 1,050 bytes

export function encodeServerKeyUpdate(update: ServerKeyUpdateMessage): Buffer {
  return new FieldWriter()
    .u8(SERVER_KEY_UPDATE)
    .bytes(update.publicKeyDer)
    .u64(update.untilMs)
    .bytes(update.signature)
    .done();
}

export function decodeServerKeyUpdate(payload: Buffer): ServerKeyUpdateMessage {
  const reader = new FieldReader(payload, 'server key update', 'HANDSHAKE_FAILED');
  const type = reader.u8('type');
  if (type !== SERVER_KEY_UPDATE) throw reader.fail(`unknown type ${type}`);
  const publicKeyDer = reader.bytes('new key', MAX_PUBLIC_KEY_DER_BYTES);
  const untilMs = reader.u64('window end');
  const signature = reader.bytes('signature', MAX_SIGNATURE_BYTES);
  reader.end();
  return { publicKeyDer, untilMs, signature };
}
