/** Two ends of a message channel in memory: the session layer tested without sockets. */
import type { MessageChannel } from '../../protocol/channel.js';
import { ProtocolError } from '../../protocol/errors.js';

class MemoryEnd implements MessageChannel {
  readonly #inbox: string[] = [];
  #waiter: { resolve: (text: string) => void; reject: (error: Error) => void } | undefined;
  #closed = false;
  peer: MemoryEnd | undefined;

  send(text: string): Promise<void> {
    if (this.#closed) return Promise.reject(new ProtocolError('CONNECTION_CLOSED', 'closed'));
    this.peer?.deliver(text);
    return Promise.resolve();
  }

  receive(): Promise<string> {
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

  deliver(text: string): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter.resolve(text);
    else this.#inbox.push(text);
  }

  end(): void {
    this.#closed = true;
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

export function channelPair(): { client: MessageChannel; server: MessageChannel } {
  const client = new MemoryEnd();
  const server = new MemoryEnd();
  client.peer = server;
  server.peer = client;
  return { client, server };
}
