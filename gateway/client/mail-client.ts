import type { MessageChannel } from '../../protocol/channel.js';
import {
  EmailError,
  findEmailProblem,
  formatEmail,
  parseStoredEmail,
  type Email,
  type StoredEmail,
} from '../../protocol/email.js';
import { ProtocolError } from '../../protocol/errors.js';
import { codePointLength } from '../../protocol/text.js';
import { parseInboxListing, type InboxRow } from '../../protocol/inbox.js';
import {
  INVALID_INDEX_PREFIX,
  MenuChoice,
  OK,
  REQUEST_EMAIL_INDEX,
  SEND_THE_EMAIL,
} from '../../protocol/texts.js';

/** What a user writes: the sender is always the signed-in user. */
export type Draft = Omit<Email, 'from'>;
/** Asked for a draft after the server says "Send the email"; asked again with the problem if invalid. */
export type Composer = (problem?: EmailError) => Promise<Draft>;

export interface InboxListing {
  text: string;
  rows: InboxRow[];
}

export type ReadResult =
  | { kind: 'email'; text: string; email: StoredEmail | undefined }
  | { kind: 'refused'; text: string };

/**
 * The protocol client after login: the menu and its sub-protocols (E.4–I) as a typed API.
 * Calls are serialised, so a background inbox check cannot interleave with a user's action.
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

  /** F: sends an email. With a draft, it is checked before anything goes on the wire. */
  send(draft: Draft | Composer): Promise<Email> {
    // Counted once: a 1,000,000-character content takes milliseconds to count.
    let contentLength = typeof draft === 'function' ? 0 : codePointLength(draft.content);
    if (typeof draft !== 'function') {
      const problem = findEmailProblem({ ...draft, from: this.username }, contentLength);
      if (problem) return Promise.reject(problem);
    }
    return this.#exclusive(async () => {
      await this.#channel.send(MenuChoice.send);
      await this.#expect(SEND_THE_EMAIL);
      let email: Email;
      if (typeof draft === 'function') {
        let problem: EmailError | undefined;
        for (;;) {
          email = { ...(await draft(problem)), from: this.username };
          contentLength = codePointLength(email.content);
          problem = findEmailProblem(email, contentLength);
          if (!problem) break;
        }
      } else {
        email = { ...draft, from: this.username };
      }
      await this.#channel.send(formatEmail(email, contentLength));
      // The classic protocol has no acknowledgement: the next menu says the server is done with it.
      await this.#nextMenu();
      return email;
    });
  }

  /** G: the inbox listing, as text and as rows. */
  listInbox(): Promise<InboxListing> {
    return this.#exclusive(async () => {
      await this.#channel.send(MenuChoice.inbox);
      const text = await this.#channel.receive();
      await this.#channel.send(OK);
      await this.#nextMenu();
      return { text, rows: parseInboxListing(text) };
    });
  }

  /** H: one email by its index in the last listing (or an index asked for when the server requests it). */
  read(index: number | (() => Promise<string>)): Promise<ReadResult> {
    return this.#exclusive(async () => {
      await this.#channel.send(MenuChoice.view);
      await this.#expect(REQUEST_EMAIL_INDEX);
      await this.#channel.send(typeof index === 'number' ? String(index) : await index());
      const text = await this.#channel.receive();
      await this.#nextMenu();
      if (text.startsWith(INVALID_INDEX_PREFIX)) return { kind: 'refused', text };
      let email: StoredEmail | undefined;
      try {
        email = parseStoredEmail(text);
      } catch (error) {
        if (!(error instanceof EmailError)) throw error;
      }
      return { kind: 'email', text, email };
    });
  }

  /** I: choice 4 (or any other choice the server does not know) ends the session. */
  terminate(choice: string = MenuChoice.terminate): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#ended) return;
      this.#ended = true;
      try {
        await this.#channel.send(choice);
      } finally {
        await this.#channel.close();
      }
    });
  }

  /** Drops the connection without the termination sub-protocol. */
  destroy(): void {
    this.#ended = true;
    this.#channel.destroy();
  }

  async #expect(text: string): Promise<void> {
    const reply = await this.#channel.receive();
    if (reply !== text) {
      this.destroy();
      throw new ProtocolError(
        'UNEXPECTED_MESSAGE',
        `expected "${text}" from the server, got ${JSON.stringify(reply.slice(0, 60))}`,
      );
    }
  }

  async #nextMenu(): Promise<void> {
    this.#menu = await this.#channel.receive();
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
