/**
 * The record layer: AES-256-GCM with TLS 1.3's nonce construction. Each direction has its
 * own key and base IV and counts its records from 0; the nonce of record n is the IV XOR n.
 * The sequence number is never sent: the receiver uses the one it expects, so a replayed,
 * reordered or dropped record is opened with the wrong nonce and fails authentication.
 *
 *   frame   = length (8, big-endian) || ciphertext || tag (16)
 *   inner   = payload || content type (1) || zero padding to a multiple of 256 bytes
 *   AAD     = the 8-byte length header
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { encodeFrameHeader } from '../framing.js';
import type { DirectionKeys } from './key-schedule.js';
import { ContentType, GCM_IV_BYTES, GCM_TAG_BYTES, RECORD_PADDING_BLOCK } from './suite.js';

export type RecordContentType = (typeof ContentType)[keyof typeof ContentType];

export interface OpenedRecord {
  type: RecordContentType;
  payload: Buffer;
}

/** The largest sequence number: a direction that reaches it must stop rather than reuse a nonce. */
const MAX_SEQUENCE = 2n ** 64n - 1n;

function nonceFor(iv: Buffer, sequence: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(sequence);
  for (let i = 0; i < 8; i++) {
    const at = GCM_IV_BYTES - 8 + i;
    nonce[at] = (nonce[at] ?? 0) ^ (counter[i] ?? 0);
  }
  return nonce;
}

/** Inner plaintext length for a payload: payload, type byte, padding to the block. */
function paddedLength(payloadBytes: number): number {
  return Math.ceil((payloadBytes + 1) / RECORD_PADDING_BLOCK) * RECORD_PADDING_BLOCK;
}

/** One direction's sending side: seals records with consecutive sequence numbers. */
export class RecordSealer {
  readonly #keys: DirectionKeys;
  #sequence = 0n;

  constructor(keys: DirectionKeys) {
    this.#keys = keys;
  }

  /** Records sealed so far. */
  get count(): number {
    return Number(this.#sequence);
  }

  /** Returns the frame body (ciphertext || tag); the caller frames it. */
  seal(type: RecordContentType, payload: Buffer): Buffer {
    if (this.#sequence >= MAX_SEQUENCE)
      throw new ProtocolError('RECORD_AUTH_FAILED', 'the record sequence number is exhausted');
    const innerLength = paddedLength(payload.length);
    const inner = Buffer.alloc(innerLength);
    payload.copy(inner);
    inner[payload.length] = type;
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.#keys.key,
      nonceFor(this.#keys.iv, this.#sequence),
    );
    cipher.setAAD(encodeFrameHeader(innerLength + GCM_TAG_BYTES));
    const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
    this.#sequence++;
    return body;
  }
}

/** One direction's receiving side: opens records only in the order they were sealed. */
export class RecordOpener {
  readonly #keys: DirectionKeys;
  #sequence = 0n;

  constructor(keys: DirectionKeys) {
    this.#keys = keys;
  }

  /** Records opened (authenticated) so far. */
  get count(): number {
    return Number(this.#sequence);
  }

  /** Throws RECORD_AUTH_FAILED for anything but the next record, whole and unaltered. */
  open(body: Buffer): OpenedRecord {
    const failure = (why: string, cause?: unknown): ProtocolError =>
      new ProtocolError(
        'RECORD_AUTH_FAILED',
        `record ${this.#sequence} failed authentication (${why}): it was replayed, reordered, altered or forged`,
        { cause },
      );
    if (
      body.length < GCM_TAG_BYTES + RECORD_PADDING_BLOCK ||
      (body.length - GCM_TAG_BYTES) % RECORD_PADDING_BLOCK !== 0
    ) {
      throw failure(`${body.length} bytes is not a record length`);
    }
    const ciphertext = body.subarray(0, body.length - GCM_TAG_BYTES);
    const tag = body.subarray(body.length - GCM_TAG_BYTES);
    let inner: Buffer;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.#keys.key,
        nonceFor(this.#keys.iv, this.#sequence),
        {
          authTagLength: GCM_TAG_BYTES,
        },
      );
      decipher.setAAD(encodeFrameHeader(body.length));
      decipher.setAuthTag(tag);
      inner = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw failure('bad tag', error);
    }
    // Authentic from here on: the padding and the type were written by the peer.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    const type = inner[end];
    if (type !== ContentType.data && type !== ContentType.close) {
      throw new ProtocolError(
        'UNEXPECTED_MESSAGE',
        `record of unknown content type ${type ?? 'none'}`,
      );
    }
    this.#sequence++;
    return { type, payload: inner.subarray(0, end) };
  }
}
