/**
 * The browser's requests to the gateway, with the schemas the gateway validates each with. Part
 * of the one definition of messages.ts, which re-exports them; the UI imports the types only.
 */
import { z } from 'zod';
import { CHANNEL_KINDS } from '../protocol/channel-kinds.js';
import {
  contentFits,
  FINGERPRINT_PATTERN,
  MAX_CONTENT_CHARS,
  MAX_INBOX_INDEX,
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
} from './mark-messages.js';

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
