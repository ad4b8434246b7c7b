import type { ServerKeyAdopted } from './server-key-update.js';
import type { MessageChannel } from '../../protocol/channel.js';
import { findEmailProblem, type Email, type EmailError } from '../../protocol/email.js';
import { ProtocolError } from '../../protocol/errors.js';
import { deleteEmail } from '../../protocol/operations/delete-email.js';
import { fetchPublicKeys, type PublicKeys } from '../../protocol/operations/fetch-public-keys.js';
import type { DeliveryReport } from '../../protocol/operations/delivery-report.js';
import {
  listInbox,
  listInboxWithIds,
  type InboxListing,
} from '../../protocol/operations/list-inbox.js';
import { listChanges } from '../../protocol/operations/list-changes.js';
import { operationsOf } from '../../protocol/operations/menu.js';
import {
  sendEmail,
  sendEmailOnce,
  sendEmailReported,
  type EmailSource,
} from '../../protocol/operations/send-email.js';
import { newSendId } from '../../protocol/operations/send-id.js';
import {
  sendSealedEmail,
  sendSealedEmailOnce,
} from '../../protocol/operations/send-sealed-email.js';
import { terminate } from '../../protocol/operations/terminate.js';
import type { MenuOperation } from '../../protocol/operations/types.js';
import {
  checkBatch,
  emailIdAnswer,
  readEmailBatch,
  viewEmail,
  viewEmailById,
  viewEmailsByIds,
  type ReadResult,
} from '../../protocol/operations/view-email.js';
import {
  waitForMail,
  type WaitOutcome,
  type WaitRequest,
} from '../../protocol/operations/wait-for-mail.js';
import { MAX_RECIPIENTS } from '../../protocol/limits.js';
import { codePointLength } from '../../protocol/text.js';

export type { DeliveryReport, InboxListing, PublicKeys, ReadResult, WaitOutcome };

/** A sent email, with what became of each copy when the session reports it. */
export interface SendResult {
  email: Email;
  /** On sessions with delivery reports (the enhanced protocol from session version 2). */
  report?: DeliveryReport;
  /** The send id it went with, on sessions with send ids (session version 5). */
  sendId?: string;
}

/** How a send goes. */
export interface SendOptions {
  /**
   * On sessions with send ids: the id of this email, the same for every try of it (a retry
   * after a lost report, on this or a new session, is answered with the first delivery's
   * report and stores nothing). A fresh one when absent. Ignored on other sessions.
   */
  sendId?: string;
}

/** What a session can do beyond the specification's four operations. */
/** The session version each capability came with, where it is not 2. */
const LEAST_VERSION: Partial<Record<keyof Capabilities, number>> = { sealed: 3, batchReads: 7 };

export interface Capabilities {
  deliveryReports: boolean;
  /** The listing carries ids; emails can be read and deleted by id. */
  emailIds: boolean;
  delete: boolean;
  waitForMail: boolean;
  /** Sealed emails can be sent, and users' public keys fetched (session version 3). */
  sealed: boolean;
  /** A listing sends only what changed since the session's last one (session version 4). */
  inboxChanges: boolean;
  /** Sends carry a send id: the server stores an email once however often it is tried (session version 5). */
  sendIds: boolean;
  /** Several emails are read by id in one exchange (session version 7). */
  batchReads: boolean;
}

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
  static async start(
    channel: MessageChannel,
    username: string,
    serverKeyAdopted?: ServerKeyAdopted,
  ): Promise<MailClient> {
    const menu = await channel.receive();
    const client = new MailClient(channel, username, menu);
    client.serverKeyAdopted = serverKeyAdopted;
    return client;
  }

  /**
   * Set when this session's login handed over the server's new key (a key rotation) and this
   * computer now holds it: tell the user once.
   */
  serverKeyAdopted: ServerKeyAdopted | undefined;

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

  /** The session version the channel negotiated, on channels that negotiate one. */
  get version(): number | undefined {
    return this.#channel.version;
  }

  get capabilities(): Capabilities {
    const offered = this.#operations;
    return {
      deliveryReports: offered.includes(sendEmailReported) || offered.includes(sendEmailOnce),
      emailIds: offered.includes(listInboxWithIds),
      delete: offered.includes(deleteEmail),
      waitForMail: offered.includes(waitForMail),
      sealed: offered.includes(sendSealedEmail) || offered.includes(sendSealedEmailOnce),
      inboxChanges: offered.includes(listChanges),
      sendIds: offered.includes(sendEmailOnce),
      batchReads: offered.includes(viewEmailsByIds),
    };
  }

  get #operations(): readonly unknown[] {
    return operationsOf(this.#channel);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Settles with the reason when the connection ends, however it ends (the server gone, say). */
  get connectionEnded(): Promise<ProtocolError> {
    return this.#channel.ended;
  }

  /**
   * F: sends an email, and returns the delivery report when the session has them. A draft is
   * checked before anything goes on the wire. On sessions with send ids, a caller that may try
   * again (the connection may be lost before the report arrives) chooses the id first
   * (`newSendId()`) and passes the same one to each try.
   */
  send(draft: Draft | Composer, { sendId }: SendOptions = {}): Promise<SendResult> {
    let source: EmailSource;
    if (typeof draft === 'function') {
      source = async () => {
        let problem: EmailError | undefined;
        for (;;) {
          const email = { ...(await draft(problem)), from: this.username };
          const contentLength = codePointLength(email.content);
          problem = findEmailProblem(email, contentLength);
          if (!problem) return { email, contentLength };
        }
      };
    } else {
      // Counted once: a 1,000,000-character content takes milliseconds to count.
      const email = { ...draft, from: this.username };
      const contentLength = codePointLength(email.content);
      const problem = findEmailProblem(email, contentLength);
      if (problem) return Promise.reject(problem);
      source = () => Promise.resolve({ email, contentLength });
    }
    const { sendIds, deliveryReports } = this.capabilities;
    if (sendIds) {
      const id = sendId ?? newSendId();
      return this.#run(sendEmailOnce, { source, sendId: id }).then((sent) => ({
        ...sent,
        sendId: id,
      }));
    }
    return deliveryReports ? this.#run(sendEmailReported, source) : this.#run(sendEmail, source);
  }

  /**
   * G: the inbox listing, as text and as rows (with ids when the session lists them). From
   * session version 4 only what changed since this session's last listing crosses the wire.
   */
  listInbox(): Promise<InboxListing> {
    const { inboxChanges, emailIds } = this.capabilities;
    const operation = inboxChanges ? listChanges : emailIds ? listInboxWithIds : listInbox;
    return this.#run(operation, undefined);
  }

  /**
   * H: one email: by its index in the last listing, by its id (sessions with ids), or by an
   * index asked for when the server requests it.
   */
  async read(ref: number | { id: string } | (() => Promise<string>)): Promise<ReadResult> {
    if (typeof ref === 'object') {
      this.#require('emailIds', 'reading by id');
      return this.#run(viewEmailById, () => Promise.resolve(emailIdAnswer(ref.id)));
    }
    const answer = typeof ref === 'number' ? () => Promise.resolve(String(ref)) : ref;
    return this.#run(this.capabilities.emailIds ? viewEmailById : viewEmail, answer);
  }

  /**
   * Emails by id in one exchange (session version 7): the results of the first ids, in order,
   * at least one; ask again for the rest. Each id must be `batchable` (no space).
   */
  async readBatch(ids: readonly string[]): Promise<ReadResult[]> {
    this.#require('batchReads', 'reading several emails at once');
    // Before the choice is sent: a batch refused half-way would leave the session out of step.
    checkBatch(ids);
    return this.#run(readEmailBatch, ids);
  }

  /** Deletes an email by id for good; false when the inbox has no email of that id. */
  async delete(id: string): Promise<boolean> {
    this.#require('delete', 'deleting');
    return (await this.#run(deleteEmail, id)).deleted;
  }

  /**
   * Waits until new mail is delivered, the server's timeout, or `signal` aborts; while it
   * waits, other calls queue behind it (abort it to go on at once).
   */
  async waitForMail(request: WaitRequest): Promise<WaitOutcome> {
    this.#require('waitForMail', 'waiting for new mail');
    return this.#run(waitForMail, request);
  }

  /**
   * Sends a sealed email (protocol/sealed/seal.ts made it); resolves with the delivery report.
   * With send ids, as `send`: the same `sendId` for each try of one email.
   */
  async sendSealed(sealed: Buffer, { sendId }: SendOptions = {}): Promise<DeliveryReport> {
    this.#require('sealed', 'sending a sealed email');
    if (this.capabilities.sendIds)
      return this.#run(sendSealedEmailOnce, { sealed, sendId: sendId ?? newSendId() });
    return this.#run(sendSealedEmail, sealed);
  }

  /** The server's public key of each user named (at most 100); undefined for those it has none of. */
  async fetchPublicKeys(names: readonly string[]): Promise<PublicKeys> {
    this.#require('sealed', 'fetching public keys');
    if (names.length > MAX_RECIPIENTS)
      throw new RangeError(`at most ${MAX_RECIPIENTS} keys are fetched at once`);
    if (names.length === 0) return new Map();
    return this.#run(fetchPublicKeys, names);
  }

  #require(capability: keyof Capabilities, what: string): void {
    if (!this.capabilities[capability]) {
      throw new ProtocolError(
        'NOT_SUPPORTED',
        `${what} needs the enhanced protocol, session version ${LEAST_VERSION[capability] ?? 2} or later`,
        { fatal: false },
      );
    }
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

  /**
   * Runs any operation of protocol/operations/ that this session offers: the named methods
   * above are this with their types and checks, and an operation added to the menu is usable
   * here before it has a method of its own. NOT_SUPPORTED (not fatal) when the session's
   * version does not offer it.
   */
  run<Request, Result>(
    operation: MenuOperation<Request, Result>,
    request: Request,
  ): Promise<Result> {
    if (!this.#operations.includes(operation)) {
      return Promise.reject(
        new ProtocolError(
          'NOT_SUPPORTED',
          `"${operation.label}" is not an operation of this session`,
          { fatal: false },
        ),
      );
    }
    return this.#run(operation, request);
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
