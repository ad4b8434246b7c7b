import type { KeyObject } from 'node:crypto';
import type { MessageChannel } from '../channel.js';
import { ProtocolError } from '../errors.js';
import type { FramedSocket } from '../framing.js';
import { decodeUtf8, encodeUtf8 } from '../utf8.js';
import { keyFingerprint } from './fingerprint.js';
import type { ServerKeyUpdate } from './key-update.js';
import type { DirectionKeys } from './key-schedule.js';
import { RecordOpener, RecordSealer } from './record.js';
import { ContentType } from './suite.js';

export interface RecordCounts {
  sent: number;
  received: number;
}

/**
 * The enhanced channel: every message is one AES-256-GCM record. The first record that fails
 * authentication poisons the channel: it is destroyed and every later call fails, so nothing
 * after a forgery is ever handed to the session layer.
 */
export class EnhancedChannel implements MessageChannel {
  readonly #framed: FramedSocket;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  readonly #verifiedServerKey: KeyObject | undefined;
  #failure: ProtocolError | undefined;
  #closeSent = false;
  /** The session version the handshake chose (suite.ts SessionVersion). */
  readonly version: number;
  /** On the client: the new server key its login handed over, verified (key-update.ts). */
  serverKeyUpdate: ServerKeyUpdate | undefined;

  constructor(
    framed: FramedSocket,
    keys: { send: DirectionKeys; receive: DirectionKeys },
    version: number,
    verifiedServerKey?: KeyObject,
  ) {
    this.#framed = framed;
    this.version = version;
    this.#sealer = new RecordSealer(keys.send);
    this.#opener = new RecordOpener(keys.receive);
    this.#verifiedServerKey = verifiedServerKey;
  }

  /** On the client: the fingerprint of the server key the handshake was verified with. */
  get serverFingerprint(): string | undefined {
    return this.#verifiedServerKey && keyFingerprint(this.#verifiedServerKey);
  }

  /** Authenticated records sent and received so far. */
  get records(): RecordCounts {
    return { sent: this.#sealer.count, received: this.#opener.count };
  }

  send(text: string): Promise<void> {
    return this.sendBytes(encodeUtf8(text));
  }

  sendBytes(payload: Buffer): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#framed.write(this.#sealer.seal(ContentType.data, payload));
  }

  async receive(): Promise<string> {
    return decodeUtf8(await this.receiveBytes());
  }

  async receiveBytes(): Promise<Buffer> {
    if (this.#failure) throw this.#failure;
    const body = await this.#framed.read();
    let record;
    try {
      record = this.#opener.open(body);
    } catch (error) {
      this.#failure =
        error instanceof ProtocolError
          ? error
          : new ProtocolError('RECORD_AUTH_FAILED', String(error));
      this.#framed.destroy();
      throw this.#failure;
    }
    if (record.type === ContentType.close) {
      this.#failure = new ProtocolError('CONNECTION_CLOSED', 'the peer closed the session');
      throw this.#failure;
    }
    return record.payload;
  }

  /** Sends an authenticated close (so that a cut connection is told apart from an ended one), then closes. */
  async close(): Promise<void> {
    if (!this.#closeSent && !this.#failure) {
      this.#closeSent = true;
      await this.#framed
        .write(this.#sealer.seal(ContentType.close, Buffer.alloc(0)))
        .catch(() => undefined);
    }
    await this.#framed.end();
  }

  destroy(): void {
    this.#framed.destroy();
  }

  get ended(): Promise<ProtocolError> {
    return this.#framed.ended;
  }
}
