/**
 * The IPC messages between the gateway's main process and one session child, and their
 * guards: each side checks the shape of what it receives, as the mail server's parent and
 * children do (mail-server/worker-protocol.ts). The browser's requests were checked in full
 * (gateway/messages.ts, zod) before the main process relays them; the child checks the shape
 * again by hand rather than load a schema library in a process started for each sign-in.
 * The child answers with the browser's own Reply messages, which the main process relays.
 */
import type { ChannelKind, Reply, Request } from '../messages.js';
import {
  isCount,
  isFields,
  isListOf,
  isName,
  isText,
  type Fields,
} from '../../common/ipc-guards.js';
import { isChannelKind } from '../../protocol/channel-kinds.js';
import {
  contentFits,
  FINGERPRINT_PATTERN,
  MAX_EMAIL_ID_CHARS,
  MAX_INBOX_INDEX,
  MAX_PASSWORD_CHARS,
  MAX_RECIPIENTS,
  MAX_SENT_ID_CHARS,
  MAX_USERNAME_CHARS,
  SEND_ID_PATTERN,
  titleFits,
  titleIsOneLine,
  MAX_SEARCH_QUERY_CHARS,
} from '../request-limits.js';
import { MARK_PATTERN, MAX_MARKS_PER_REQUEST } from '../mark-limits.js';

/** The browser's requests that the main process hands to the child as they are. */
export type SessionRequest = Exclude<Request, { type: 'signIn' | 'signOut' }>;

export interface ChildSignIn {
  type: 'signIn';
  id: number;
  host: string;
  port: number;
  username: string;
  password: string;
  protocol: ChannelKind;
  /** Where the child looks for the user's keys (DIR or DIR/<user>/). */
  keysDir: string;
  /** Where the user's local Sent folder is: DATA/<user>/sent/. */
  dataDir: string;
  /** Background inbox check; 0 turns it off. */
  pollMs: number;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  /** How long an email stays in the Trash before it is removed for good (--trash-days). */
  trashDays: number;
}

/** Ends the protocol session (menu choice 4). With an id, the child answers `signedOut`. */
export interface ChildSignOut {
  type: 'signOut';
  id: number | null;
}

export type ParentToChild = ChildSignIn | SessionRequest | ChildSignOut;

const isUsername = (value: unknown): value is string => isName(value, MAX_USERNAME_CHARS);
const isRecipients = (value: unknown): value is string[] =>
  isListOf(value, isUsername, 1, MAX_RECIPIENTS);
const isEmailId = (value: unknown): value is string => isName(value, MAX_EMAIL_ID_CHARS);

const isMark = (value: unknown): value is string => isText(value) && MARK_PATTERN.test(value);
const isMarkList = (value: unknown): value is string[] =>
  isListOf(value, isMark, 1, MAX_MARKS_PER_REQUEST);
const isTrashEntry = (entry: unknown): entry is Fields =>
  isFields(entry) &&
  isMark(entry.mark) &&
  (entry.emailId === undefined || isEmailId(entry.emailId));

/**
 * For each message type, whether its fields (beside `type` and `id`) have their shapes and
 * bounds: for the browser's requests, exactly what the zod schemas of gateway/messages.ts
 * accept (test/gateway/request-bounds.test.ts holds the two against each other).
 */
const FIELDS_OF: Record<ParentToChild['type'], (message: Fields) => boolean> = {
  signIn: (m) =>
    isName(m.host) &&
    isCount(m.port) &&
    m.port >= 1 &&
    m.port <= 65_535 &&
    isUsername(m.username) &&
    isText(m.password, MAX_PASSWORD_CHARS) &&
    isChannelKind(m.protocol) &&
    isName(m.keysDir) &&
    isName(m.dataDir) &&
    isCount(m.pollMs) &&
    isCount(m.connectTimeoutMs) &&
    isCount(m.replyTimeoutMs) &&
    isCount(m.trashDays),
  listInbox: () => true,
  read: (m) =>
    isCount(m.index) &&
    m.index >= 1 &&
    m.index <= MAX_INBOX_INDEX &&
    (m.emailId === undefined || isEmailId(m.emailId)),
  send: (m) =>
    isRecipients(m.to) &&
    isText(m.title) &&
    titleFits(m.title) &&
    titleIsOneLine(m.title) &&
    isText(m.content) &&
    contentFits(m.content) &&
    (m.sendId === undefined || (isText(m.sendId) && SEND_ID_PATTERN.test(m.sendId))) &&
    (m.unsealed === undefined || m.unsealed === true),
  sealingPlan: (m) => isRecipients(m.to),
  listSent: () => true,
  readSent: (m) => isName(m.sentId, MAX_SENT_ID_CHARS),
  delete: (m) => isEmailId(m.emailId),
  verifyKey: (m) =>
    isUsername(m.name) && isText(m.fingerprint) && FINGERPRINT_PATTERN.test(m.fingerprint),
  search: (m) => isText(m.query, MAX_SEARCH_QUERY_CHARS),
  reconnectNow: () => true,
  loadMarks: () => true,
  setRead: (m) => isMarkList(m.marks) && typeof m.read === 'boolean',
  moveToTrash: (m) =>
    isListOf(m.emails, isTrashEntry, 1, MAX_MARKS_PER_REQUEST) &&
    (m.restore === undefined || typeof m.restore === 'boolean'),
  emptyTrash: (m) => isMarkList(m.marks),
  signOut: () => true,
};

/** The message, when it has the shape of one the parent sends; undefined otherwise. */
export function parseParentToChild(message: unknown): ParentToChild | undefined {
  if (!isFields(message)) return undefined;
  const fields = message;
  const type = fields.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS_OF, type)) return undefined;
  const idFits = type === 'signOut' ? fields.id === null || isCount(fields.id) : isCount(fields.id);
  return idFits && FIELDS_OF[type as ParentToChild['type']](fields)
    ? (message as ParentToChild)
    : undefined;
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
  'keyVerified',
  'sentList',
  'sealingPlan',
  'sentEmail',
  'marks',
  'marksSaved',
  'trashEmptied',
  'signedOut',
  'error',
  'newMail',
  'sessionEnded',
  'searchResults',
  'indexProgress',
  'serverConnection',
  'reconnecting',
] satisfies Exclude<ChildToParent['type'], 'hello' | 'resumed'>[]);

/**
 * The child builds its replies from typed values; this checks the envelope (an object of a
 * reply type the child may send), so that a child gone wrong cannot make the main process
 * relay, or act on, anything else.
 */
export function isChildToParent(message: unknown): message is ChildToParent {
  return isFields(message) && CHILD_REPLY_TYPES.has(String(message.type));
}
