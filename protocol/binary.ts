/**
 * Binary messages, field by field: fixed-size integers (big-endian) and u16-length-prefixed
 * byte strings. The reader checks every length against what is left before it reads a byte,
 * and counts against the room they need before anything is allocated for them.
 */
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { decodeUtf8 } from './utf8.js';

/**
 * Writes into one buffer that doubles when full, so a message of many fields (a listing of
 * 100,000 rows has half a million) costs a few allocations, not one per field.
 */
export class FieldWriter {
  #buffer = Buffer.allocUnsafe(256);
  #length = 0;

  /**
   * Room for `bytes` more; returns where they go. Call it before naming this.#buffer, which it
   * may replace.
   */
  #reserve(bytes: number): number {
    const at = this.#length;
    if (at + bytes > this.#buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, at + bytes));
      this.#buffer.copy(larger, 0, 0, at);
      this.#buffer = larger;
    }
    this.#length = at + bytes;
    return at;
  }

  u8(value: number): this {
    const at = this.#reserve(1);
    this.#buffer.writeUInt8(value, at);
    return this;
  }

  u16(value: number): this {
    const at = this.#reserve(2);
    this.#buffer.writeUInt16BE(value, at);
    return this;
  }

  u32(value: number): this {
    const at = this.#reserve(4);
    this.#buffer.writeUInt32BE(value, at);
    return this;
  }

  /** A whole number up to 2^53 - 1, in 8 bytes. */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a u64`);
    const at = this.#reserve(8);
    this.#buffer.writeBigUInt64BE(BigInt(value), at);
    return this;
  }

  /** A byte string of at most 4 GiB - 1, after its u32 length. */
  longBytes(value: Buffer): this {
    return this.u32(value.length).raw(value);
  }

  /** A byte string of at most 65,535 bytes, after its u16 length. */
  bytes(value: Buffer): this {
    if (value.length > 0xffff) throw new RangeError(`a field of ${value.length} bytes is too long`);
    return this.u16(value.length).raw(value);
  }

  /** UTF-8 text of at most 65,535 bytes, after its u16 length. */
  text(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    if (length > 0xffff) throw new RangeError(`a field of ${length} bytes is too long`);
    this.u16(length);
    const at = this.#reserve(length);
    this.#buffer.write(value, at, length, 'utf8');
    return this;
  }

  raw(value: Uint8Array): this {
    const at = this.#reserve(value.length);
    this.#buffer.set(value, at);
    return this;
  }

  /** How many bytes are written so far. */
  get length(): number {
    return this.#length;
  }

  /** The message: its own copy of the bytes written (the writer may be used on). */
  done(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }
}

export class FieldReader {
  readonly #bytes: Buffer;
  readonly #what: string;
  readonly #code: ProtocolErrorCode;
  #offset = 0;

  /** `what` names the message in errors, which carry `code`. */
  constructor(bytes: Buffer, what: string, code: ProtocolErrorCode) {
    this.#bytes = bytes;
    this.#what = what;
    this.#code = code;
  }

  fail(problem: string): ProtocolError {
    return new ProtocolError(this.#code, `${this.#what}: ${problem}`);
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(length: number, name: string): Buffer {
    if (length > this.remaining) throw this.fail(`the ${name} (${length} bytes) does not fit`);
    const value = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  u8(name: string): number {
    return this.#take(1, name).readUInt8();
  }

  u16(name: string): number {
    return this.#take(2, name).readUInt16BE();
  }

  u32(name: string): number {
    return this.#take(4, name).readUInt32BE();
  }

  /** A whole number up to 2^53 - 1 in 8 bytes; a larger one is refused. */
  u64(name: string): number {
    const value = this.#take(8, name).readBigUInt64BE();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`the ${name} is out of range`);
    return Number(value);
  }

  /** Exactly `length` bytes. */
  fixed(name: string, length: number): Buffer {
    return this.#take(length, name);
  }

  /** A byte string after its u32 length, refused when longer than `max` or than what is left. */
  longBytes(name: string, max: number): Buffer {
    const length = this.u32(`${name} length`);
    if (length > max)
      throw this.fail(`the ${name} has ${length} bytes; at most ${max} are allowed`);
    return this.#take(length, name);
  }

  bytes(name: string, max = 0xffff): Buffer {
    const length = this.u16(`${name} length`);
    if (length > max)
      throw this.fail(`the ${name} has ${length} bytes; at most ${max} are allowed`);
    return this.#take(length, name);
  }

  text(name: string, max = 0xffff): string {
    return decodeUtf8(this.bytes(name, max));
  }

  /**
   * A count of items that each take at least `minBytes`: refused when they could not all fit
   * in what is left, so a forged count never makes the reader allocate or loop for nothing.
   */
  count(name: string, minBytes: number, width: 'u16' | 'u32' = 'u16'): number {
    const count = width === 'u16' ? this.u16(name) : this.u32(name);
    if (count * minBytes > this.remaining)
      throw this.fail(`${count} ${name} cannot fit in ${this.remaining} bytes`);
    return count;
  }

  end(): void {
    if (this.remaining !== 0) throw this.fail(`${this.remaining} bytes left over`);
  }
}
