/**
 * The one definition of the messages between the browser and the gateway, over the WebSocket.
 * The gateway validates every incoming message with these schemas; the UI imports the types
 * only (`import type`), so none of zod reaches the browser bundle. The requests, the emails and
 * the keys are defined by area in request-, email-, key- and mark-messages.ts, re-exported here:
 * import them from this file.
 */
import { z } from 'zod';
import type { SealedProblem } from '../protocol/sealed/problems.js';
import { MAX_PAGE_SECRET_CHARS } from './request-limits.js';
import type { ChannelKind } from './request-messages.js';
import type {
  DeliveryReport,
  EmailSecurity,
  EmailView,
  InboxItem,
  SentEmailView,
  SentItem,
} from './email-messages.js';
import type { KeyringEntry, RecipientSealing, SealedSend } from './key-messages.js';
import type { MarkReply } from './mark-messages.js';

export * from './email-messages.js';
export * from './key-messages.js';
export * from './mark-messages.js';
export * from './request-messages.js';

export type { SealedProblem };

/** Largest WebSocket message the gateway takes: a 1,000,000-character email, JSON-escaped. */
export const MAX_WS_MESSAGE_BYTES = 8 * 1024 * 1024;

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
} /** Close codes the gateway uses on the WebSocket (4000–4999 are the application's). */
export const WsCloseCode = {
  /** No `authenticate` first, or a wrong, expired or already used secret. */
  unauthenticated: 4401,
  /** Too many sockets from this browser's address, or too many requests queued on this one. */
  tooMany: 4429,
} as const;
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
      /**
       * Enhanced protocol, during a server key rotation: this sign-in handed over the server's
       * new key, signed by the key held before, and the gateway's machine holds it now. What to
       * tell the user, once.
       */
      serverKeyReplaced?: string;
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
