/**
 * The emails as the gateway shows them to the browser: inbox rows, opened emails, the Sent
 * folder's items and their delivery reports. Part of the one definition of messages.ts (types only).
 */
import type { KeyProvenance, SealedEmailView } from './key-messages.js';
import type { SealedProblem } from '../protocol/sealed/problems.js';
import type { ChannelKind } from './request-messages.js';

/** One email of the local Sent folder; `id` names it for `readSent`. */
export interface SentItem {
  id: string;
  to: string[];
  title: string;
  /** When the server took it, as the inbox shows times (YYYY-MM-DD HH:MM:SS.ffffff, local). */
  sentAt: string;
  contentLength: number;
  protocol: ChannelKind;
  server: string;
  /** Sealed when sent; absent on copies kept before the Sent folder recorded it. */
  sealed?: boolean;
  /** What became of each recipient's copy, kept with the item; absent when none was given (classic). */
  delivery?: DeliveryReport;
}

export interface SentEmailView extends SentItem {
  content: string;
}
/**
 * What an email is, decided once, in the gateway's session process (email-security.ts), and
 * shown in the list and the reader outside the content:
 * - `sealed`: the signature holds with `signer`'s pinned key and everything signed holds;
 * - `sealedNotVerified`: it is sealed, and `problem` says why it is not verified (with
 *   ENVELOPE_ALTERED the signature holds, but the server's From, To or Title line was changed);
 * - `plain`: not sealed, so the server could have written it; `holdsKey` / `sealedBefore` say
 *   that its claimed sender could have sealed it (a strong warning);
 * - `unopened`: the listing carries no content, so whether it is sealed is known once it is opened.
 */
export type EmailSecurity =
  | { kind: 'sealed'; signer: string; fingerprint: string; keySource: KeyProvenance }
  | { kind: 'sealedNotVerified'; signer: string; problem: SealedProblem }
  | { kind: 'plain'; sender: string; holdsKey: boolean; sealedBefore: boolean }
  | { kind: 'unopened' };

/** One row of the inbox, as the protocol lists it (oldest first, 1-based index). */
export interface InboxItem {
  index: number;
  from: string;
  receivedAt: string;
  title: string;
  /** The email's id on the server, on sessions that list ids (`capabilities.emailIds`). */
  id?: string;
  /** What the gateway knows of it without opening it: what it found when it was opened, or `unopened`. */
  security?: EmailSecurity;
  /**
   * Set when `from` is not a user this one knows but looks like one who is (the user, a
   * keyring's user, someone whose key was used): that user's name. `cIient1` beside `client1`.
   */
  lookalike?: string;
}
/** What became of one recipient's copy of a sent email. */
export interface RecipientDelivery {
  name: string;
  status: 'delivered' | 'unknownUser' | 'refused';
  /** Why a copy was refused (a full inbox, say); empty otherwise. */
  reason: string;
}

export interface DeliveryReport {
  /** False when the server refused the email as a whole (`reason` says why): nothing was stored. */
  accepted: boolean;
  reason: string;
  recipients: RecipientDelivery[];
}

/**
 * An email as stored by the server; `raw` is the text exactly as the server sent it. For a
 * sealed email (`sealed` set), `raw` is the armoured ciphertext, and `from`, `to`, `title` and
 * `content` are what the sender signed when the signature holds and it decrypts; otherwise they
 * are the server's lines and `content` is empty: nothing unverified is shown.
 */
export interface EmailView {
  index: number;
  from: string;
  to: string[];
  receivedAt: string;
  title: string;
  contentLength: number;
  content: string;
  raw: string;
  sealed?: SealedEmailView;
  /** What it is, as the list shows it too (always set by the gateway). */
  security?: EmailSecurity;
  /** The known user the sender (the signer of a sealed email) looks like without being them; see InboxItem. */
  lookalike?: string;
}
