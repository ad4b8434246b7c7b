/**
 * Where mail is kept, behind one interface (as Dovecot's mail-storage): the session layer
 * hands over emails and asks for listings and emails, and never knows whether they live in
 * folders of files, in memory or in a database. Every implementation passes the same contract
 * tests (test/mail-server/store-contract.ts).
 */
import type { Email } from '../../protocol/email.js';
import type { EmailRef } from '../../protocol/operations/types.js';

/** An email as the server received it, to be stored in each recipient's inbox (section F). */
export interface IncomingEmail {
  email: Email;
  /** Its content's length in code points, already counted. */
  contentLength: number;
  /** Section F's "Time and Date": when the server received it complete. */
  receivedAt: string;
}

/** What happened to one recipient's copy. */
export type DeliveryOutcome =
  | { recipient: string; status: 'delivered'; id: string }
  | { recipient: string; status: 'overQuota' }
  | { recipient: string; status: 'failed'; reason: string };

export interface DeliveryLimits {
  /** A copy that would take an inbox beyond this many bytes (of stored text) is refused. */
  maxInboxBytes?: number;
}

/** One row of an inbox listing, oldest first. `id` names the email for as long as it is kept. */
export interface MailboxEntry {
  id: string;
  from: string;
  receivedAt: string;
  title: string;
}

export type { EmailRef } from '../../protocol/operations/types.js';

/**
 * How many send ids a store remembers per sender (session version 5): the newest ones. A
 * retry of an email after this many later sends of the same sender is stored again; a client
 * retries within minutes, after one lost report.
 */
export const MAX_SEND_RECORDS = 1000;

/** A delivery stored at most once per (sender, send id) (session version 5). */
export interface SendKey {
  sender: string;
  /** 22 characters of base64url (protocol/operations/send-id.ts). */
  sendId: string;
  /** Every recipient the email names, known or not, once each in its order: the report's list. */
  named: readonly string[];
}

/** What a delivery with a send id came to: this one's, or the first one's under that id. */
export interface OnceDelivery {
  /** Each known recipient's outcome, as `deliver` gives them. */
  outcomes: DeliveryOutcome[];
  /** The recipients named by the delivery that stored the email. */
  named: string[];
  /** An earlier delivery had this send id: it is answered, and nothing was stored now. */
  replayed: boolean;
}

export interface MailStore {
  /**
   * Stores the email in the inbox of each recipient (known users only: the caller has checked).
   * Each copy is stored whole or not at all; a store that can do so stores all or none.
   */
  deliver(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits?: DeliveryLimits,
  ): Promise<DeliveryOutcome[]>;
  /**
   * As `deliver`, at most once per (sender, send id): the first call stores the email and
   * records its outcomes, durably and (as far as the store can) atomically with the copies,
   * before it returns; any later call with the same key, in any process, also after a
   * restart, stores nothing and returns the first one's outcomes (`replayed`). The newest
   * MAX_SEND_RECORDS keys of each sender are remembered.
   */
  deliverOnce(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
    key: SendKey,
  ): Promise<OnceDelivery>;
  /** The user's inbox, oldest first (G.1). */
  list(user: string): Promise<MailboxEntry[]>;
  /** The stored text of one email (section F), exactly as stored; undefined when there is none. */
  read(user: string, ref: EmailRef): Promise<string | undefined>;
  /** Removes one email for good; false when the user has no email of that id. */
  remove(user: string, id: string): Promise<boolean>;
  /**
   * Clears what a process that died while storing left unfinished: that process's leftovers,
   * or, when no process is named (at start), those of every process that no longer runs; never
   * what another server sharing the store is writing now.
   * Returns a description of each thing removed.
   */
  recover(deadProcess?: number): Promise<string[]>;
  /**
   * Calls `listener` whenever the user's inbox may have changed (an email delivered or removed,
   * by this process or another); returns the function that stops it. A listener may be called
   * when nothing changed; it is never left uncalled when something did.
   */
  watch(user: string, listener: () => void): () => void;
  close(): Promise<void>;
}

/** Runs synchronous store work as a promise: a throw becomes a rejection, as an async store's would. */
export function promised<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work());
  });
}

/**
 * The users who have inboxes, as the home has them now: a live view, so that a user added by a
 * reload (SIGHUP) has an inbox without the store being opened again.
 */
export interface UserNames extends Iterable<string> {
  has(name: string): boolean;
}

/** A fixed list of names as UserNames; a live view is kept as it is. */
export const userNames = (users: Iterable<string> | UserNames): UserNames =>
  'has' in users ? users : new Set(users);
