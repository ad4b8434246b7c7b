/**
 * The one definition of the messages between the browser and the gateway, over the WebSocket.
 * The gateway validates every incoming message with these schemas; the UI imports the types
 * only (`import type`), so none of zod reaches the browser bundle.
 */
import { z } from 'zod';
import { MAX_CONTENT_CHARS, MAX_TITLE_CHARS } from '../protocol/email.js';
import { codePointLength } from '../protocol/text.js';

/** Largest WebSocket message the gateway takes: a 1,000,000-character email, JSON-escaped. */
export const MAX_WS_MESSAGE_BYTES = 8 * 1024 * 1024;

export const ChannelKindSchema = z.enum(['classic', 'enhanced']);
export type ChannelKind = z.infer<typeof ChannelKindSchema>;

const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const username = z.string().min(1).max(64);

export const SignInRequestSchema = z.object({
  type: z.literal('signIn'),
  id: requestId,
  /** HOST or HOST:PORT; the gateway's --server when empty. */
  server: z.string().max(255),
  username,
  password: z.string().max(200),
  protocol: ChannelKindSchema,
});

export const ListInboxRequestSchema = z.object({ type: z.literal('listInbox'), id: requestId });

export const ReadRequestSchema = z.object({
  type: z.literal('read'),
  id: requestId,
  index: z.number().int().positive().max(1_000_000_000),
});

export const SendRequestSchema = z.object({
  type: z.literal('send'),
  id: requestId,
  to: z.array(username).min(1).max(100),
  title: z
    .string()
    .refine(
      (title) => codePointLength(title) <= MAX_TITLE_CHARS,
      `the title is longer than ${MAX_TITLE_CHARS} characters`,
    )
    .refine((title) => !/[\r\n]/.test(title), 'the title must be a single line'),
  content: z
    .string()
    .refine(
      (content) => codePointLength(content) <= MAX_CONTENT_CHARS,
      `the content is longer than ${MAX_CONTENT_CHARS} characters`,
    ),
});

export const SignOutRequestSchema = z.object({ type: z.literal('signOut'), id: requestId });

export const RequestSchema = z.discriminatedUnion('type', [
  SignInRequestSchema,
  ListInboxRequestSchema,
  ReadRequestSchema,
  SendRequestSchema,
  SignOutRequestSchema,
]);
export type Request = z.infer<typeof RequestSchema>;
export type SignInRequest = z.infer<typeof SignInRequestSchema>;
export type SendRequest = z.infer<typeof SendRequestSchema>;

/** One row of the inbox, as the protocol lists it (oldest first, 1-based index). */
export interface InboxItem {
  index: number;
  from: string;
  receivedAt: string;
  title: string;
}

/** An email as stored by the server; `raw` is the text exactly as the server sent it. */
export interface EmailView {
  index: number;
  from: string;
  to: string[];
  receivedAt: string;
  title: string;
  contentLength: number;
  content: string;
  raw: string;
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
  | 'INVALID_EMAIL'
  | 'INVALID_INDEX'
  | 'RATE_LIMITED'
  | 'SESSION_ENDED'
  | 'INTERNAL';

export type SessionEndReason = 'signedOut' | 'idle' | 'serverClosed' | 'processDied' | 'error';

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
      pollSeconds: number;
    }
  | {
      type: 'signedIn';
      id: number;
      username: string;
      server: string;
      protocol: ChannelKind;
      /** Enhanced protocol: the SHA-256 fingerprint of the server key whose signature was verified. */
      serverFingerprint?: string;
    }
  | { type: 'inbox'; id: number; items: InboxItem[] }
  | { type: 'email'; id: number; email: EmailView }
  | { type: 'sent'; id: number; recipients: string[] }
  | { type: 'signedOut'; id: number }
  | { type: 'error'; id: number | null; code: ErrorCode; message: string }
  | { type: 'newMail'; items: InboxItem[]; total: number }
  | { type: 'sessionEnded'; reason: SessionEndReason; message: string };
