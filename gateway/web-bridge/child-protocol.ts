/**
 * The IPC messages between the gateway's main process and one session child, and their
 * guards: each side checks what it receives, as the mail server's parent and children do.
 * The child answers with the browser's own Reply messages, which the main process relays.
 */
import { z } from 'zod';
import {
  ChannelKindSchema,
  DeleteRequestSchema,
  ListInboxRequestSchema,
  ListSentRequestSchema,
  ReadRequestSchema,
  ReadSentRequestSchema,
  SendRequestSchema,
  type Reply,
} from '../messages.js';

const requestId = z.number().int().nonnegative();
const milliseconds = z.number().int().nonnegative();

const ChildSignInSchema = z.object({
  type: z.literal('signIn'),
  id: requestId,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  username: z.string().min(1),
  password: z.string(),
  protocol: ChannelKindSchema,
  /** Where the child looks for the user's keys (DIR or DIR/<user>/). */
  keysDir: z.string().min(1),
  /** Where the user's local Sent folder is: DATA/<user>/sent/. */
  dataDir: z.string().min(1),
  /** Background inbox check; 0 turns it off. */
  pollMs: milliseconds,
  connectTimeoutMs: milliseconds,
  replyTimeoutMs: milliseconds,
});
export type ChildSignIn = z.infer<typeof ChildSignInSchema>;

/** Ends the protocol session (menu choice 4). With an id, the child answers `signedOut`. */
const ChildSignOutSchema = z.object({ type: z.literal('signOut'), id: requestId.nullable() });
export type ChildSignOut = z.infer<typeof ChildSignOutSchema>;

/** The browser's requests that the main process hands to the child as they are. */
const SessionRequestSchema = z.discriminatedUnion('type', [
  ListInboxRequestSchema,
  ReadRequestSchema,
  SendRequestSchema,
  ListSentRequestSchema,
  ReadSentRequestSchema,
  DeleteRequestSchema,
]);
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

const ParentToChildSchema = z.union([ChildSignInSchema, ChildSignOutSchema, SessionRequestSchema]);
export type ParentToChild = z.infer<typeof ParentToChildSchema>;

/** The message, when it is one the parent may send; undefined otherwise. */
export function parseParentToChild(message: unknown): ParentToChild | undefined {
  const parsed = ParentToChildSchema.safeParse(message);
  return parsed.success ? parsed.data : undefined;
}

/** `ready`: the child's message handler is in place (messages sent before would be lost). */
export type ChildToParent = Reply | { type: 'ready' };

/** Every reply type a child may send; the main process relays nothing else. */
const CHILD_REPLY_TYPES: ReadonlySet<string> = new Set([
  'ready',
  'signedIn',
  'inbox',
  'email',
  'sent',
  'deleted',
  'sentList',
  'sentEmail',
  'signedOut',
  'error',
  'newMail',
  'sessionEnded',
] satisfies Exclude<ChildToParent['type'], 'hello'>[]);

/**
 * The child builds its replies from typed values; this checks the envelope (an object of a
 * reply type the child may send), so that a child gone wrong cannot make the main process
 * relay, or act on, anything else.
 */
export function isChildToParent(message: unknown): message is ChildToParent {
  return (
    typeof message === 'object' &&
    message !== null &&
    CHILD_REPLY_TYPES.has(String((message as { type?: unknown }).type))
  );
}
