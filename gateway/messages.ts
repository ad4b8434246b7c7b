/**
 * The one definition of the messages between the browser and the gateway, over the WebSocket.
 * The gateway validates every incoming message with these schemas; the UI imports the types
 * only (`import type`), so none of zod reaches the browser bundle.
 */
import { z } from 'zod';
import { CHANNEL_KINDS } from '../protocol/channel-kinds.js';
import type { SealedProblem } from '../protocol/sealed/problems.js';
import {
  contentFits,
  FINGERPRINT_PATTERN,
  MAX_CONTENT_CHARS,
  MAX_INBOX_INDEX,
  MAX_PAGE_SECRET_CHARS,
  MAX_PASSWORD_CHARS,
  MAX_RECIPIENTS,
  MAX_SENT_ID_CHARS,
  MAX_SERVER_CHARS,
  MAX_TITLE_CHARS,
  MAX_USERNAME_CHARS,
  SEND_ID_PATTERN,
  titleFits,
  titleIsOneLine,
  MAX_SEARCH_QUERY_CHARS,
} from './request-limits.js';
import { emailId, requestId } from './message-fields.js';
import {
  EmptyTrashRequestSchema,
  LoadMarksRequestSchema,
  MoveToTrashRequestSchema,
  SetReadRequestSchema,
  type MarkReply,
} from './mark-messages.js';

export * from './mark-messages.js';

export type { SealedProblem };

/** Largest WebSocket message the gateway takes: a 1,000,000-character email, JSON-escaped. */
export const MAX_WS_MESSAGE_BYTES = 8 * 1024 * 1024;

export const ChannelKindSchema = z.enum(CHANNEL_KINDS);
export type ChannelKind = z.infer<typeof ChannelKindSchema>;

const username = z.string().min(1).max(MAX_USERNAME_CHARS);

export const SignInRequestSchema = z.object({
  type: z.literal('signIn'),
  id: requestId,
  /** HOST or HOST:PORT; the gateway's --server when empty. */
  server: z.string().max(MAX_SERVER_CHARS),
  username,
  password: z.string().max(MAX_PASSWORD_CHARS),
  protocol: ChannelKindSchema,
  /**
   * The person chose, warned, to sign in with the classic protocol to a server whose enhanced
   * server answered before and does not now (`hello.enhancedMissing`, `UNVERIFIED_FALLBACK`).
   */
  classicFallback: z.boolean().optional(),
});

export const ListInboxRequestSchema = z.object({ type: z.literal('listInbox'), id: requestId });

export const ReadRequestSchema = z.object({
  type: z.literal('read'),
  id: requestId,
  index: z.number().int().positive().max(MAX_INBOX_INDEX),
  /** When the session lists ids: the email is read by its id, whatever its index is now. */
  emailId: emailId.optional(),
});

/** Deletes an email from the inbox on the server, for good (sessions with `capabilities.delete`). */
export const DeleteRequestSchema = z.object({
  type: z.literal('delete'),
  id: requestId,
  emailId,
});

export const SendRequestSchema = z.object({
  type: z.literal('send'),
  id: requestId,
  to: z.array(username).min(1).max(MAX_RECIPIENTS),
  title: z
    .string()
    .refine(titleFits, `the title is longer than ${MAX_TITLE_CHARS} characters`)
    .refine(titleIsOneLine, 'the title must be a single line'),
  content: z
    .string()
    .refine(contentFits, `the content is longer than ${MAX_CONTENT_CHARS} characters`),
  /**
   * The browser's id of this email (22 characters of base64url, 16 random bytes), the same for
   * each try of it: on sessions with `capabilities.sendIds` the server stores it once, and a
   * retry after a lost answer gets the first delivery's report.
   */
  sendId: z.string().regex(SEND_ID_PATTERN, 'a send id is 22 characters of base64url').optional(),
  /**
   * The person chose to send it unsealed although it cannot be sealed for every recipient;
   * without it, such an email is refused (NOT_SEALABLE) and nothing is sent.
   */
  unsealed: z.literal(true).optional(),
});

/**
 * The user compared a key of their keyring with its owner (fingerprints side by side) and
 * marks it verified; `fingerprint` is the one they compared, which must be the pinned one.
 */
export const VerifyKeyRequestSchema = z.object({
  type: z.literal('verifyKey'),
  id: requestId,
  name: username,
  fingerprint: z.string().regex(FINGERPRINT_PATTERN),
});

/**
 * Searches inside the emails (the content search, docs/GATEWAY.md): every word of `query` as the
 * start of a word of an email's sender, recipients, title or content, case and accents aside.
 * The session child answers from its own index, without the server.
 */
export const SearchRequestSchema = z.object({
  type: z.literal('search'),
  id: requestId,
  query: z.string().max(MAX_SEARCH_QUERY_CHARS),
});

export const SignOutRequestSchema = z.object({ type: z.literal('signOut'), id: requestId });

/** While the mail server cannot be reached: try to reconnect now rather than at the next try. */
export const ReconnectNowRequestSchema = z.object({
  type: z.literal('reconnectNow'),
  id: requestId,
});

/** The local Sent folder the gateway keeps for the signed-in user (on the client machine). */
export const ListSentRequestSchema = z.object({ type: z.literal('listSent'), id: requestId });

/**
 * Whether an email to these users would be sealed, and for whom (the composer asks as names are
 * typed); nothing is pinned by asking.
 */
export const SealingPlanRequestSchema = z.object({
  type: z.literal('sealingPlan'),
  id: requestId,
  to: z.array(username).min(1).max(MAX_RECIPIENTS),
});
export const ReadSentRequestSchema = z.object({
  type: z.literal('readSent'),
  id: requestId,
  sentId: z.string().min(1).max(MAX_SENT_ID_CHARS),
});

/**
 * The first message on every WebSocket, before any request: the per-page secret that the page
 * fetched from `GET /session` (same origin, no CORS, so no other origin can read it). Without
 * it, or with a wrong or used one, the gateway closes the socket with WsCloseCode.unauthenticated.
 */
export const AuthenticateSchema = z.object({
  type: z.literal('authenticate'),
  secret: z.string().min(1).max(MAX_PAGE_SECRET_CHARS),
});
export type Authenticate = z.infer<typeof AuthenticateSchema>;

/** `GET /session`: 200 with this body when the gateway's cookie is good. */
export interface PageSession {
  secret: string;
}
/**
 * `GET /session` and other JSON endpoints, 401/403: `cookie` when the browser has no cookie of
 * this gateway or an old one (the gateway restarted: open the new link it printed).
 */
export interface PageSessionRefused {
  error: 'cookie' | 'origin' | 'host';
  message: string;
}

/**
 * What a send would do for one recipient: sealed with the keyring's key or the server's, for the
 * sender's own key, refused (`changed`: not the key pinned for them), or not sealable (`noKey`).
 */
export interface RecipientSealing {
  name: string;
  state: 'keyring' | 'server' | 'own' | 'changed' | 'noKey';
  fingerprint?: string;
}

/** Close codes the gateway uses on the WebSocket (4000–4999 are the application's). */
export const WsCloseCode = {
  /** No `authenticate` first, or a wrong, expired or already used secret. */
  unauthenticated: 4401,
  /** Too many sockets from this browser's address, or too many requests queued on this one. */
  tooMany: 4429,
} as const;

export const RequestSchema = z.discriminatedUnion('type', [
  SignInRequestSchema,
  ListInboxRequestSchema,
  ReadRequestSchema,
  SendRequestSchema,
  SignOutRequestSchema,
  ListSentRequestSchema,
  ReadSentRequestSchema,
  DeleteRequestSchema,
  SealingPlanRequestSchema,
  VerifyKeyRequestSchema,
  ReconnectNowRequestSchema,
  SearchRequestSchema,
  LoadMarksRequestSchema,
  SetReadRequestSchema,
  MoveToTrashRequestSchema,
  EmptyTrashRequestSchema,
]);
export type Request = z.infer<typeof RequestSchema>;
export type SignInRequest = z.infer<typeof SignInRequestSchema>;
export type SendRequest = z.infer<typeof SendRequestSchema>;
export type SearchRequest = z.infer<typeof SearchRequestSchema>;

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
 * Why a key is trusted (docs/SEALED.md, section 6): the user's own; the keyring's (handed out
 * with the set-up, as server_public.pem); fetched from the server and not compared since; or
 * compared with its owner and marked verified by the user.
 */
export type KeyProvenance = 'own' | 'keyring' | 'server' | 'verified';

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

/** What a signed-in session can do beyond the protocol's four operations. */
export interface SessionCapabilities {
  /** `sent` replies carry what became of each recipient's copy. */
  deliveryReports: boolean;
  /** Inbox items carry ids; emails are read and deleted by id. */
  emailIds: boolean;
  delete: boolean;
  /** New mail is pushed by the server the moment it lands, not found by a periodic check. */
  pushedMail: boolean;
  /**
   * Emails are sealed when sent (end to end: encrypted for their recipients and signed by the
   * sender, so the server stores what it cannot read), and missing keys are fetched from the
   * server (the enhanced protocol, session version 3). Sealed emails are opened on any session.
   */
  sealed: boolean;
  /**
   * A send's `sendId` reaches the server, which stores an email once per id (session version
   * 5): an email whose answer was lost can be sent again with the same id without a second copy.
   */
  sendIds: boolean;
}

/** A user's public key as people compare it: its SHA-256 fingerprint, as OpenSSH shows one. */
export interface KeyFingerprint {
  name: string;
  /** `SHA256:` and 43 characters of base64. */
  fingerprint: string;
}

/** A key of the signed-in user's keyring, on this machine. */
export interface KeyringEntry extends KeyFingerprint {
  /**
   * Set when the keyring's key is not the one pinned for this user (the fingerprint pinned when
   * it was first used): it is refused, for sealing and for checking signatures, until the user
   * compares it with its owner and removes the old pin.
   */
  pinned?: string;
  /** Of the pinned key (absent: it came with the keyring). A changed key is never `verified`. */
  provenance?: KeyProvenance;
}

/** How a sent email was sealed. */
export interface SealedSend {
  /** Who can open it, the sender included, with the fingerprint of the key it was sealed for. */
  readers: KeyFingerprint[];
  /** Keys the keyring did not have: fetched from the server and pinned now, worth comparing with their owners. */
  fromServer: KeyFingerprint[];
  /** Recipients no key was found for (no such user on the server): listed in it, unable to open it. */
  withoutKey: string[];
}

/** What the gateway found opening a sealed email. */
export interface SealedEmailView {
  /**
   * The signature holds with the signer's pinned key, the email was sealed for this user's key,
   * and the server's From, To and Title are the signed ones: show the lock and "signed by
   * <signedBy>, verified".
   */
  verified: boolean;
  /** Who the email says signed it (the sender). */
  signedBy: string;
  /** The fingerprint of the key the signature was checked with, when it holds. */
  signerFingerprint?: string;
  /** Where that key came from, when the signature holds. */
  signerKey?: KeyProvenance;
  /** When the sender sealed it, by the sender's clock (ISO 8601, UTC), when the signature holds. */
  signedAt?: string;
  /** Who it was sealed for, with the fingerprint of the key used for each. */
  readers: KeyFingerprint[];
  /** Why it is not verified; absent when it is. */
  problem?: SealedProblem;
  /** A sentence to show as a warning when it is not verified. */
  warning?: string;
  /** The id the sender signed into it (hex), when the signature holds; absent for the older format, which has none. */
  emailId?: string;
  /**
   * Set when another copy of this email (the same signed id) was opened before at another
   * place of the inbox: this is a copy the server stored again, not new mail.
   */
  copyOf?: {
    /** The first copy's receive time, as the inbox shows times. */
    receivedAt: string;
    /** When it was first opened (ISO 8601). */
    openedAt: string;
  };
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

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'TOO_LARGE'
  | 'NOT_SIGNED_IN'
  | 'ALREADY_SIGNED_IN'
  | 'WRONG_CREDENTIALS'
  | 'SERVER_UNREACHABLE'
  | 'MISSING_KEY'
  | 'SERVER_IDENTITY'
  | 'UNVERIFIED_FALLBACK'
  | 'INVALID_EMAIL'
  /** The email cannot be sealed for every recipient, and sending it unsealed was not chosen. */
  | 'NOT_SEALABLE'
  | 'INVALID_INDEX'
  | 'NOT_FOUND'
  | 'NOT_SUPPORTED'
  | 'RATE_LIMITED'
  | 'SESSION_ENDED'
  /** The mail server cannot be reached now; the session is reconnecting, and nothing was done. */
  | 'SERVER_DOWN'
  /** The connection to the mail server broke before the answer came: it may have been done. */
  | 'CONNECTION_LOST'
  | 'INTERNAL';

export type SessionEndReason =
  | 'signedOut'
  | 'idle'
  | 'serverClosed'
  | 'processDied'
  | 'error'
  /** The mail server refused the password on reconnecting: it was changed. */
  | 'passwordChanged';

/** What a `signedIn` reply says of the session, as a page that joins it later is told. */
export type SignedInSession = Omit<Extract<Reply, { type: 'signedIn' }>, 'type' | 'id'>;

/** The signed-in session a page joins, and its server connection when it is reconnecting. */
export interface Resumed {
  session: SignedInSession;
  connection?: ServerConnection;
}

/** The session's connection to the mail server, while it is reconnecting and when it is back. */
export type ServerConnection =
  | {
      type: 'serverConnection';
      state: 'lost';
      /** Milliseconds until the next try, from when this was sent. */
      retryInMs: number;
      /** Tries made since the connection was lost. */
      attempts: number;
    }
  | { type: 'serverConnection'; state: 'restored' };

/** Gateway to browser: replies carry the request's id; events carry none. */
export type Reply =
  | {
      type: 'hello';
      /** The classic server a sign-in without a server goes to. */
      defaultServer: string;
      /** The enhanced server a sign-in without a server goes to (port 13001 by default). */
      enhancedServer?: string;
      protocols: ChannelKind[];
      /** Enhanced when the gateway can reach the enhanced server, classic otherwise. */
      defaultProtocol?: ChannelKind;
      /**
       * The enhanced server (`HOST:PORT`) that answered this gateway before for the default
       * server and does not now: a classic sign-in there needs `classicFallback`.
       */
      enhancedMissing?: string;
      pollSeconds: number;
      /** This browser's session is signed in already (a reload, another tab): the page joins it. */
      resumed?: Resumed;
    }
  | {
      type: 'signedIn';
      id: number;
      username: string;
      server: string;
      protocol: ChannelKind;
      /** Enhanced protocol: the SHA-256 fingerprint of the server key whose signature was verified. */
      serverFingerprint?: string;
      capabilities: SessionCapabilities;
      /** The fingerprint of the user's own key (on this machine), which signs and opens sealed emails. */
      keyFingerprint: string;
      /** The keys of the user's keyring with their fingerprints, by name. */
      keyring: KeyringEntry[];
    }
  | { type: 'inbox'; id: number; items: InboxItem[] }
  | { type: 'email'; id: number; email: EmailView }
  | {
      type: 'sent';
      id: number;
      recipients: string[];
      /** The copy kept in the local Sent folder; absent when it could not be written. */
      sentId?: string;
      /** Why no copy was kept (when sentId is absent): the email was sent all the same. */
      sentCopyProblem?: string;
      /**
       * What became of each recipient's copy, on sessions with delivery reports. Without one
       * (the classic protocol) only this is known: the server took the email.
       */
      delivery?: DeliveryReport;
      /** Present when the email was sealed (sessions with `capabilities.sealed`); absent, it went unsealed. */
      sealed?: SealedSend;
    }
  | { type: 'deleted'; id: number; emailId: string }
  | { type: 'keyVerified'; id: number; entry: KeyringEntry }
  | { type: 'sentList'; id: number; items: SentItem[] }
  | { type: 'sealingPlan'; id: number; recipients: RecipientSealing[] }
  | { type: 'sentEmail'; id: number; email: SentEmailView }
  | { type: 'signedOut'; id: number }
  | MarkReply
  | {
      type: 'error';
      id: number | null;
      code: ErrorCode;
      message: string;
      /** RATE_LIMITED: how long to wait before trying again. */
      retryAfterSeconds?: number;
    }
  | {
      type: 'searchResults';
      id: number;
      /** The listed emails whose words hold the query, oldest first, as rows name them. */
      emails: { index: number; id?: string }[];
      /** How far the index is: the emails indexed of those to index (the search covers only those). */
      indexed: number;
      total: number;
    }
  | { type: 'newMail'; items: InboxItem[]; total: number }
  /**
   * The content search's index is being filled: `indexed` of `total` emails so far; `marks`,
   * what the session child found opening emails since the last one, for their rows.
   */
  | {
      type: 'indexProgress';
      indexed: number;
      total: number;
      marks?: { index: number; id?: string; security: EmailSecurity }[];
    }
  | { type: 'sessionEnded'; reason: SessionEndReason; message: string }
  /** Another page of this browser signed in: this page joins the session. */
  | ({ type: 'resumed' } & Resumed)
  | ServerConnection
  | { type: 'reconnecting'; id: number };
