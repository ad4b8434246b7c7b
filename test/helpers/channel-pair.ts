/**
 * Two ends of a message channel in memory: the session layer tested without sockets. With a
 * version, the pair behaves as an enhanced channel of that session version (binary messages
 * as well as text).
 */
import type { MessageChannel } from '../../protocol/channel.js';
import { ProtocolError } from '../../protocol/errors.js';

type Message = string | Buffer;

class MemoryEnd implements MessageChannel {
  readonly #inbox: Message[] = [];
  #waiter: { resolve: (message: Message) => void; reject: (error: Error) => void } | undefined;
  #closed = false;
  peer: MemoryEnd | undefined;
  readonly version: number | undefined;
  #announceEnd: (error: ProtocolError) => void = () => undefined;
  readonly ended: Promise<ProtocolError> = new Promise((resolve) => {
    this.#announceEnd = resolve;
  });

  constructor(version: number | undefined) {
    this.version = version;
  }

  #post(message: Message): Promise<void> {
    if (this.#closed) return Promise.reject(new ProtocolError('CONNECTION_CLOSED', 'closed'));
    this.peer?.deliver(message);
    return Promise.resolve();
  }

  #next(): Promise<Message> {
    const next = this.#inbox.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#closed)
      return Promise.reject(
        new ProtocolError('CONNECTION_CLOSED', 'the peer closed the connection'),
      );
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  send(text: string): Promise<void> {
    return this.#post(text);
  }

  async receive(): Promise<string> {
    const message = await this.#next();
    if (typeof message !== 'string') throw new Error('a binary message where text was expected');
    return message;
  }

  sendBytes(payload: Buffer): Promise<void> {
    return this.#post(Buffer.from(payload));
  }

  async receiveBytes(): Promise<Buffer> {
    const message = await this.#next();
    return typeof message === 'string' ? Buffer.from(message) : message;
  }

  deliver(message: Message): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter.resolve(message);
    else this.#inbox.push(message);
  }

  end(): void {
    this.#closed = true;
    this.#announceEnd(new ProtocolError('CONNECTION_CLOSED', 'the connection was closed'));
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(new ProtocolError('CONNECTION_CLOSED', 'the peer closed the connection'));
  }

  close(): Promise<void> {
    this.destroy();
    return Promise.resolve();
  }

  destroy(): void {
    this.end();
    this.peer?.end();
  }
}

/** A channel pair; `version` makes it an enhanced channel of that session version. */
export function channelPair(version?: number): { client: MessageChannel; server: MessageChannel } {
  const client = new MemoryEnd(version);
  const server = new MemoryEnd(version);
  client.peer = server;
  server.peer = client;
  return { client, server };
}
