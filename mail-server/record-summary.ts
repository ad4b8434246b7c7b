/**
 * On channels that authenticate every record, the server prints beside the specification's
 * lines how the session's records went (section V.4): how many were authenticated at the end,
 * or which one failed.
 */
import type { MessageChannel } from '../protocol/channel.js';
import { enhancedServerLines } from '../protocol/enhanced/lines.js';
import { isProtocolError } from '../protocol/errors.js';

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

  send(text: string): Promise<void> {
    return this.#inner.send(text);
  }

  async receive(): Promise<string> {
    try {
      return await this.#inner.receive();
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
