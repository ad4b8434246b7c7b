import type { Socket } from 'node:net';
import { ProtocolError } from './errors.js';

/** Every message on the wire is an 8-byte unsigned big-endian length, then that many bytes. */
export const FRAME_HEADER_BYTES = 8;
/**
 * Large enough for a 1,000,000-character email of 4-byte characters (plus headers and AES
 * padding); anything longer is refused before a byte of it is buffered.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export function encodeFrameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeBigUInt64BE(BigInt(length));
  return header;
}

export function encodeFrame(payload: Buffer): Buffer {
  return Buffer.concat([encodeFrameHeader(payload.length), payload]);
}

/**
 * Turns TCP data, split and coalesced in any way, into whole frames.
 * Body chunks are kept as received and joined once, so a 4 MB frame costs one copy.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #bodyLength = -1;
  #bodyChunks: Buffer[] = [];
  #bodyFill = 0;

  constructor(maxFrameBytes = MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** True when a frame has started but is not complete. */
  get inFrame(): boolean {
    return this.#headerFill > 0 || this.#bodyLength >= 0;
  }

  /** Feeds a chunk; returns the frames it completed. Throws FRAME_TOO_LARGE. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#bodyLength < 0) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + take);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        const length = this.#header.readBigUInt64BE();
        if (length > BigInt(this.#maxFrameBytes)) {
          throw new ProtocolError(
            'FRAME_TOO_LARGE',
            `frame of ${length} bytes exceeds the limit of ${this.#maxFrameBytes} bytes`,
            { received: Buffer.from(this.#header) },
          );
        }
        this.#bodyLength = Number(length);
        this.#headerFill = 0;
        if (this.#bodyLength === 0) {
          frames.push(Buffer.alloc(0));
          this.#bodyLength = -1;
        }
        continue;
      }
      const take = Math.min(this.#bodyLength - this.#bodyFill, chunk.length - offset);
      this.#bodyChunks.push(chunk.subarray(offset, offset + take));
      this.#bodyFill += take;
      offset += take;
      if (this.#bodyFill === this.#bodyLength) {
        const body =
          this.#bodyChunks.length === 1 && this.#bodyChunks[0] !== undefined
            ? Buffer.from(this.#bodyChunks[0])
            : Buffer.concat(this.#bodyChunks, this.#bodyLength);
        frames.push(body);
        this.#bodyChunks = [];
        this.#bodyFill = 0;
        this.#bodyLength = -1;
      }
    }
    return frames;
  }
}

export interface FramedSocketOptions {
  maxFrameBytes?: number;
  /** How long `read()` waits for a whole frame; 0 waits for ever. */
  idleTimeoutMs?: number;
  /** Bytes already read from the socket elsewhere (by the parent process), taken first. */
  initialData?: Buffer;
  /**
   * Whether `end()` waits for the peer to close its side too (a client: it then knows the
   * server is done) or only until our end is sent (a server: its process is free at once).
   */
  endWaitsForPeer?: boolean;
}

type Waiter = { resolve: (frame: Buffer) => void; reject: (error: Error) => void };

/** Frames over one TCP socket: `read()` the next whole frame, `write()` one. */
export class FramedSocket {
  readonly socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #idleTimeoutMs: number;
  readonly #frames: Buffer[] = [];
  #waiter: Waiter | undefined;
  #failure: ProtocolError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ending = false;
  #announceEnd: (error: ProtocolError) => void = () => undefined;
  /**
   * Settles with the reason when the connection ends, whoever ended it, whether or not a read
   * was waiting: a client learns at once that its server went away.
   */
  readonly ended: Promise<ProtocolError> = new Promise((resolve) => {
    this.#announceEnd = resolve;
  });
  readonly #endWaitsForPeer: boolean;

  constructor(socket: Socket, options: FramedSocketOptions = {}) {
    this.socket = socket;
    this.#endWaitsForPeer = options.endWaitsForPeer ?? true;
    this.#decoder = new FrameDecoder(options.maxFrameBytes);
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 0;
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('end', () => {
      this.#fail(
        this.#decoder.inFrame
          ? new ProtocolError(
              'TRUNCATED_FRAME',
              'the peer closed the connection in the middle of a message',
            )
          : new ProtocolError('CONNECTION_CLOSED', 'the peer closed the connection'),
      );
    });
    socket.on('close', () => {
      this.#fail(new ProtocolError('CONNECTION_CLOSED', 'the connection was closed'));
    });
    socket.on('error', (error) => {
      this.#fail(
        new ProtocolError('CONNECTION_CLOSED', `connection error: ${error.message}`, {
          cause: error,
        }),
      );
    });
    if (options.initialData && options.initialData.length > 0) this.#onData(options.initialData);
    socket.resume();
  }

  read(): Promise<Buffer> {
    const frame = this.#frames.shift();
    if (frame !== undefined) {
      if (this.#frames.length < 2) this.socket.resume();
      return Promise.resolve(frame);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiter)
      return Promise.reject(new Error('FramedSocket.read() called while a read is pending'));
    return new Promise<Buffer>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      if (this.#idleTimeoutMs > 0) {
        this.#timer = setTimeout(() => {
          this.#fail(
            new ProtocolError(
              'IDLE_TIMEOUT',
              `no complete message within ${this.#idleTimeoutMs} ms`,
            ),
          );
          this.socket.destroy();
        }, this.#idleTimeoutMs);
      }
    });
  }

  /** Resolves once the frame is handed to the kernel. */
  write(payload: Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) {
      return Promise.reject(new ProtocolError('CONNECTION_CLOSED', 'the connection is closed'));
    }
    return new Promise<void>((resolve, reject) => {
      this.socket.cork();
      this.socket.write(encodeFrameHeader(payload.length));
      this.socket.write(payload, (error) => {
        if (error)
          reject(
            new ProtocolError('CONNECTION_CLOSED', `write failed: ${error.message}`, {
              cause: error,
            }),
          );
        else resolve();
      });
      this.socket.uncork();
    });
  }

  /**
   * Half-closes once pending writes are flushed; resolves when the peer has closed too, or
   * (see endWaitsForPeer) when our end is sent. The socket is destroyed when the peer closes,
   * or 2 s later: a peer that never closes must not hold it, nor keep the caller waiting.
   */
  end(): Promise<void> {
    this.#ending = true;
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      if (!this.#endWaitsForPeer) this.socket.once('finish', resolve);
      this.socket.once('close', resolve);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  /** Closes at once, unless an orderly end is under way (then it finishes on its own). */
  release(): void {
    if (!this.#ending) this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#failure) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError('FRAME_TOO_LARGE', String(error)),
      );
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const waiter = this.#waiter;
      if (waiter) {
        this.#clearWaiter();
        waiter.resolve(frame);
      } else {
        this.#frames.push(frame);
      }
    }
    // Backpressure: a peer that sends ahead is not buffered without bound.
    if (this.#frames.length >= 2) this.socket.pause();
  }

  #fail(error: ProtocolError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#announceEnd(error);
    const waiter = this.#waiter;
    if (waiter) {
      this.#clearWaiter();
      waiter.reject(error);
    }
  }

  #clearWaiter(): void {
    this.#waiter = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
