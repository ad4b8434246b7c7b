/**
 * On channels that authenticate every record, the server prints beside the specification's
 * lines how the session's records went (section V.4): how many were authenticated at the end,
 * or which one failed.
 */
import type { MessageChannel } from '../protocol/channel.js';
import { enhancedServerLines } from '../protocol/enhanced/lines.js';
import { isProtocolError, type ProtocolError } from '../protocol/errors.js';

class SummarisedChannel implements MessageChannel {
  readonly #inner: MessageChannel;
  readonly #records: () => { sent: number; received: number };
  readonly #user: string;
  readonly #announce: (line: string) => void;

  constructor(
    inner: MessageChannel,
    records: () => { sent: number; received: number },
    user: string,
    announce: (line: string) => void,
  ) {
    this.#inner = inner;
    this.#records = records;
    this.#user = user;
    this.#announce = announce;
  }

  get records(): { sent: number; received: number } {
    return this.#records();
  }

  get version(): number | undefined {
    return this.#inner.version;
  }

  get ended(): Promise<ProtocolError> {
    return this.#inner.ended;
  }

  send(text: string): Promise<void> {
    return this.#inner.send(text);
  }

  sendBytes(payload: Buffer): Promise<void> {
    if (!this.#inner.sendBytes) return Promise.reject(new Error('the channel carries text only'));
    return this.#inner.sendBytes(payload);
  }

  receive(): Promise<string> {
    return this.#announcingFailure(() => this.#inner.receive());
  }

  receiveBytes(): Promise<Buffer> {
    const inner = this.#inner;
    if (!inner.receiveBytes) return Promise.reject(new Error('the channel carries text only'));
    return this.#announcingFailure(() => inner.receiveBytes?.() ?? Promise.reject(new Error()));
  }

  async #announcingFailure<T>(receive: () => Promise<T>): Promise<T> {
    try {
      return await receive();
    } catch (error) {
      if (isProtocolError(error, 'RECORD_AUTH_FAILED'))
        this.#announce(enhancedServerLines.recordFailed(this.#user, error.message));
      throw error;
    }
  }

  async close(): Promise<void> {
    const { sent, received } = this.#records();
    // The close record about to go out is authenticated too.
    this.#announce(enhancedServerLines.records(this.#user, received, sent + 1));
    await this.#inner.close();
  }

  destroy(): void {
    this.#inner.destroy();
  }
}

/** The channel itself when it does not count records; else one that prints their summary. */
export function withRecordSummary(
  channel: MessageChannel,
  user: string,
  announce: (line: string) => void,
): MessageChannel {
  if (channel.records === undefined) return channel;
  return new SummarisedChannel(
    channel,
    () => channel.records ?? { sent: 0, received: 0 },
    user,
    announce,
  );
}
