/**
 * The handshake messages, byte by byte (docs/SECURITY.md draws them). Each travels in one
 * 8-byte-length frame; the decoders check every length before reading a field.
 */
import { ProtocolError } from '../errors.js';
import { decodeUtf8, encodeUtf8 } from '../utf8.js';
import { HandshakeType, PROTOCOL_VERSION, RANDOM_BYTES, X25519_PUBLIC_BYTES } from './suite.js';

/** type (1) | version (1) | client_random (32) | client X25519 public key (32) */
export interface ClientHello {
  random: Buffer;
  ephemeralPublic: Buffer;
}

/** type (1) | version (1) | server_random (32) | server X25519 public key (32) | sig length (2) | signature */
export interface ServerHello {
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

function encodeHelloPrefix(type: number, random: Buffer, ephemeralPublic: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, PROTOCOL_VERSION]), random, ephemeralPublic]);
}

function decodeHelloPrefix(
  frame: Buffer,
  type: number,
  name: string,
): { random: Buffer; ephemeralPublic: Buffer } {
  if (frame.length < HELLO_FIXED_BYTES || frame[0] !== type) {
    throw handshakeError(
      `expected a ${name} (${HELLO_FIXED_BYTES}+ bytes starting with ${type}), got ${frame.length} bytes`,
    );
  }
  if (frame[1] !== PROTOCOL_VERSION) {
    throw handshakeError(
      `${name} of protocol version ${frame[1] ?? '?'}; this program speaks version ${PROTOCOL_VERSION}`,
    );
  }
  return {
    random: frame.subarray(2, 2 + RANDOM_BYTES),
    ephemeralPublic: frame.subarray(2 + RANDOM_BYTES, HELLO_FIXED_BYTES),
  };
}

function u16Prefixed(field: Buffer): Buffer {
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16BE(field.length);
  return Buffer.concat([length, field]);
}

/** Reads u16-length-prefixed fields in order, refusing any that runs past the end. */
class FieldReader {
  #offset = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  field(name: string, max = 0xffff): Buffer {
    if (this.#offset + 2 > this.bytes.length)
      throw handshakeError(`${this.what}: no room for the ${name} length`);
    const length = this.bytes.readUInt16BE(this.#offset);
    this.#offset += 2;
    if (length > max || this.#offset + length > this.bytes.length) {
      throw handshakeError(`${this.what}: the ${name} (${length} bytes) does not fit`);
    }
    const value = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  end(): void {
    if (this.#offset !== this.bytes.length)
      throw handshakeError(`${this.what}: ${this.bytes.length - this.#offset} bytes left over`);
  }
}

export function encodeClientHello(hello: ClientHello): Buffer {
  return encodeHelloPrefix(HandshakeType.clientHello, hello.random, hello.ephemeralPublic);
}

export function decodeClientHello(frame: Buffer): ClientHello {
  const prefix = decodeHelloPrefix(frame, HandshakeType.clientHello, 'ClientHello');
  if (frame.length !== HELLO_FIXED_BYTES)
    throw handshakeError(`ClientHello of ${frame.length} bytes, not ${HELLO_FIXED_BYTES}`);
  return prefix;
}

/** The part of the ServerHello that its signature covers (everything before the signature). */
export function encodeServerHelloUnsigned(hello: Omit<ServerHello, 'signature'>): Buffer {
  return encodeHelloPrefix(HandshakeType.serverHello, hello.random, hello.ephemeralPublic);
}

export function encodeServerHello(hello: ServerHello): Buffer {
  return Buffer.concat([encodeServerHelloUnsigned(hello), u16Prefixed(hello.signature)]);
}

export function decodeServerHello(frame: Buffer): ServerHello {
  const prefix = decodeHelloPrefix(frame, HandshakeType.serverHello, 'ServerHello');
  const reader = new FieldReader(frame.subarray(HELLO_FIXED_BYTES), 'ServerHello');
  const signature = reader.field('signature', MAX_SIGNATURE_BYTES);
  reader.end();
  return { ...prefix, signature };
}

export function encodeClientAuth(auth: ClientAuth): Buffer {
  return Buffer.concat([
    u16Prefixed(encodeUtf8(auth.username)),
    u16Prefixed(encodeUtf8(auth.password)),
    u16Prefixed(auth.signature),
  ]);
}

export function decodeClientAuth(payload: Buffer): ClientAuth {
  const reader = new FieldReader(payload, 'ClientAuth');
  const username = decodeUtf8(reader.field('username', 1024));
  const password = decodeUtf8(reader.field('password', 4096));
  const signature = reader.field('signature', MAX_SIGNATURE_BYTES);
  reader.end();
  return { username, password, signature };
}
