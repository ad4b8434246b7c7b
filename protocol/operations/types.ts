/**
 * The session layer (E.4–I): after login, the server sends the menu, the client answers with
 * a choice, and the two ends run that choice's operation. Each operation is described once, in
 * its own module of this folder, with both of its sides; the server's handler table, the client
 * library's methods and the menu text are derived from these descriptions (menu.ts).
 */
import type { KeyObject } from 'node:crypto';
import type { MessageChannel } from '../channel.js';
import type { Email, EmailError } from '../email.js';
import type { InboxRow } from '../inbox.js';
import type { SealedEmail } from '../sealed/format.js';
import type { DeliveryReport } from './delivery-report.js';

/** An email of the user's inbox: by its 1-based index in the listing, or by its id. */
export type EmailRef = { index: number } | { id: string };

/**
 * What the server does with each operation (storage and policy), as smtp-server's onData
 * hooks: the protocol never knows where mail goes.
 */
export interface SessionHooks {
  /**
   * F.3: a well-formed email arrived, received complete at `receivedAt` (section F's time).
   * The report is sent on sessions that have delivery reports, and kept to the server otherwise.
   * With a `sendId` (session version 5) the email is stored once per (sender, send id): a
   * retry gets the first delivery's report and stores nothing.
   */
  onEmail(
    email: Email,
    contentLength: number,
    receivedAt: string,
    sendId?: string,
  ): Promise<DeliveryReport>;
  /** F.3: what arrived is not a section D email within its limits; it is not stored. */
  onRejectedEmail(problem: EmailError): DeliveryReport;
  /**
   * Session version 3: a sealed email whose format holds (`blob` its bytes, `sealed` them
   * decoded); the hooks check who signed it and store it, as onEmail does (`sendId` too).
   */
  onSealedEmail(
    sealed: SealedEmail,
    blob: Buffer,
    receivedAt: string,
    sendId?: string,
  ): Promise<DeliveryReport>;
  /** Session version 3: the public key of each user named, in order; undefined for a name it has none of. */
  onPublicKeys(names: readonly string[]): (KeyObject | undefined)[];
  /** G.1: the listing, oldest first, indexed from 1, with each email's id. */
  onList(): Promise<readonly InboxRow[]>;
  /**
   * H.3: the stored email, or how many emails there are when an index names none (the answer
   * says so; an id that names none is answered without a count, so 0 will do).
   */
  onRead(ref: EmailRef): Promise<{ text: string } | { count: number }>;
  /** Removes an email of the user's inbox for good; false when there was none of that id. */
  onDelete(id: string): Promise<boolean>;
  /** Calls `listener` when the user's inbox may have changed; returns the function that stops it. */
  watchInbox(listener: () => void): () => void;
  /** The longest a client may wait for new mail before the server wakes it (below the idle timeout). */
  readonly maxWaitMs: number;
  /** I.1: the client ends the session (choice 4 or an unknown choice). */
  onTerminate(): void;
  /** The client answered something the protocol did not ask for, that it can go on without. */
  onOddReply?(expected: string, received: string): void;
}

/** One menu operation, both sides. `Request` is what the client passes in, `Result` what it gets back. */
export interface MenuOperation<Request, Result> {
  /** What the client sends to choose it (E.5). */
  choice: string;
  /** Its line in the menu. */
  label: string;
  /** The client's side, after the choice was sent; the next menu is read by the caller. */
  client(channel: MessageChannel, request: Request): Promise<Result>;
  /** The server's side, after the choice was received; the next menu is sent by the caller. */
  server(channel: MessageChannel, hooks: SessionHooks): Promise<void>;
}
