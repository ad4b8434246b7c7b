import type { MessageChannel } from '../channel.js';
import type { ProtocolError } from '../errors.js';
import { aesEcbDecrypt, aesEcbEncrypt } from '../crypto.js';
import type { FramedSocket } from '../framing.js';
import { decodeUtf8, encodeUtf8 } from '../utf8.js';

/** The classic channel (E.4 onwards): each message is one frame of AES-256-ECB(UTF-8 text). */
export class ClassicChannel implements MessageChannel {
  readonly #framed: FramedSocket;
  readonly #key: Buffer;

  constructor(framed: FramedSocket, sessionKey: Buffer) {
    this.#framed = framed;
    this.#key = sessionKey;
  }

  send(text: string): Promise<void> {
    return this.sendUtf8(encodeUtf8(text));
  }

  sendUtf8(bytes: Buffer): Promise<void> {
    return this.#framed.write(aesEcbEncrypt(this.#key, bytes));
  }

  async receive(): Promise<string> {
    const frame = await this.#framed.read();
    return decodeUtf8(aesEcbDecrypt(this.#key, frame));
  }

  close(): Promise<void> {
    return this.#framed.end();
  }

  destroy(): void {
    this.#framed.destroy();
  }

  get ended(): Promise<ProtocolError> {
    return this.#framed.ended;
  }
}
