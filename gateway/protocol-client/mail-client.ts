import type { MessageChannel } from '../../protocol/channel.js';
import { findEmailProblem, type Email, type EmailError } from '../../protocol/email.js';
import { ProtocolError } from '../../protocol/errors.js';
import { listInbox, type InboxListing } from '../../protocol/operations/list-inbox.js';
import { sendEmail } from '../../protocol/operations/send-email.js';
import { terminate } from '../../protocol/operations/terminate.js';
import type { MenuOperation } from '../../protocol/operations/types.js';
import { viewEmail, type ReadResult } from '../../protocol/operations/view-email.js';
import { codePointLength } from '../../protocol/text.js';

export type { InboxListing, ReadResult };

/** What a user writes: the sender is always the signed-in user. */
export type Draft = Omit<Email, 'from'>;
/** Asked for a draft after the server says "Send the email"; asked again with the problem if invalid. */
export type Composer = (problem?: EmailError) => Promise<Draft>;

/**
 * The protocol client after login: each menu operation (protocol/operations/) as a typed
 * method. Calls are serialised, so a background inbox check cannot interleave with a user's
 * action.
 */
export class MailClient {
  readonly username: string;
  readonly #channel: MessageChannel;
  #menu: string;
  #ended = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(channel: MessageChannel, username: string, menu: string) {
    this.#channel = channel;
    this.username = username;
    this.#menu = menu;
  }

  /** Wraps a logged-in channel; waits for the first menu. */
  static async start(channel: MessageChannel, username: string): Promise<MailClient> {
    const menu = await channel.receive();
    return new MailClient(channel, username, menu);
  }

  /** The verified server key's fingerprint, on channels that authenticate the server. */
  get serverFingerprint(): string | undefined {
    return this.#channel.serverFingerprint;
  }

  /** Authenticated records sent and received, on channels that authenticate records. */
  get records(): { sent: number; received: number } | undefined {
    return this.#channel.records;
  }

  /** The menu text the server sent last. */
  get menu(): string {
    return this.#menu;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** F: sends an email. A draft is checked before anything goes on the wire. */
  send(draft: Draft | Composer): Promise<Email> {
    if (typeof draft === 'function') {
      return this.#run(sendEmail, async () => {
        let problem: EmailError | undefined;
        for (;;) {
          const email = { ...(await draft(problem)), from: this.username };
          const contentLength = codePointLength(email.content);
          problem = findEmailProblem(email, contentLength);
          if (!problem) return { email, contentLength };
        }
      });
    }
    // Counted once: a 1,000,000-character content takes milliseconds to count.
    const email = { ...draft, from: this.username };
    const contentLength = codePointLength(email.content);
    const problem = findEmailProblem(email, contentLength);
    if (problem) return Promise.reject(problem);
    return this.#run(sendEmail, () => Promise.resolve({ email, contentLength }));
  }

  /** G: the inbox listing, as text and as rows. */
  listInbox(): Promise<InboxListing> {
    return this.#run(listInbox, undefined);
  }

  /** H: one email by its index in the last listing, or an index asked for when the server requests it. */
  read(index: number | (() => Promise<string>)): Promise<ReadResult> {
    return this.#run(
      viewEmail,
      typeof index === 'number' ? () => Promise.resolve(String(index)) : index,
    );
  }

  /** I: choice 4 (or any other choice the server does not know) ends the session. */
  terminate(choice: string = terminate.choice): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#ended) return;
      this.#ended = true;
      try {
        await this.#channel.send(choice);
      } finally {
        await terminate.client(this.#channel);
      }
    });
  }

  /** Drops the connection without the termination sub-protocol. */
  destroy(): void {
    this.#ended = true;
    this.#channel.destroy();
  }

  /** Chooses an operation, runs the client's side of it and reads the menu that follows. */
  #run<Request, Result>(
    operation: MenuOperation<Request, Result>,
    request: Request,
  ): Promise<Result> {
    return this.#exclusive(async () => {
      await this.#channel.send(operation.choice);
      const result = await operation.client(this.#channel, request);
      this.#menu = await this.#channel.receive();
      return result;
    });
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#ended) throw new ProtocolError('CONNECTION_CLOSED', 'the session has ended');
      try {
        return await operation();
      } catch (error) {
        if (error instanceof ProtocolError && error.fatal) {
          this.#ended = true;
          this.#channel.destroy();
        }
        throw error;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
