/** Messages between the mail server's parent process and its session children, and their guards. */
import { isCount, isFields, isOneOf, isText } from '../common/ipc-guards.js';
import { isChannelKind, type ChannelKind } from '../protocol/channel-kinds.js';
import { isPostgresUrl, type StoreSpec } from './store/open-store.js';
import type { AttemptOutcome, KeyKind } from './throttle/rules.js';

/** What a session child needs to know, passed as its one argument (JSON). */
export interface WorkerConfig {
  home: string;
  channel: ChannelKind;
  store: StoreSpec;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  maxInboxBytes: number;
  logLevel: string;
  /** Report each piece of store work to the parent, for its metrics (observe/store-report.ts). */
  reportStore?: boolean;
  /** Append log lines to this file instead of stderr; reopened on `reopen-log`. */
  logFile?: string;
}

/**
 * Parent to child: serve the socket sent with this message, first replaying the bytes the
 * parent read from it while screening (base64). `connection` names it in the child's answers,
 * since a child may serve several at once.
 */
export interface SessionRequest {
  type: 'session';
  connection: number;
  preread: string;
  loginDeadlineMs: number;
}
/**
 * Parent to child: a session to serve; retire; reread the home's users; reopen the log file
 * (logrotate moved it); or a throttle answer.
 */
export type ToWorker =
  SessionRequest | { type: 'exit' } | { type: 'reload' } | { type: 'reopen-log' } | ThrottleAnswer;
/**
 * Child to parent: ready for sessions; a connection's client logged in; a connection is over;
 * or a throttle question.
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'logged-in'; connection: number }
  | { type: 'done'; connection: number }
  | ThrottleRequest;

/**
 * The login throttle (throttle/rules.ts) is the parent's, shared by all children: a child asks to
 * check an attempt, then settles it with the outcome.
 */
export type ThrottleRequest =
  | { type: 'login-admit'; id: number; user: string; address: string; knownUser: boolean }
  | { type: 'login-settle'; ticket: number; outcome: AttemptOutcome };
export type ThrottleAnswer = {
  type: 'login-admission';
  id: number;
  allowed: boolean;
  refusedBy?: KeyKind;
  /** Names the admitted attempt when it is settled. */
  ticket?: number;
};

const OUTCOMES = ['failed', 'succeeded', 'abandoned'] as const satisfies AttemptOutcome[];

export function isThrottleRequest(message: unknown): message is ThrottleRequest {
  if (!isFields(message)) return false;
  if (message.type === 'login-admit')
    return (
      isCount(message.id) &&
      isText(message.user) &&
      isText(message.address) &&
      typeof message.knownUser === 'boolean'
    );
  return (
    message.type === 'login-settle' && isCount(message.ticket) && isOneOf(OUTCOMES, message.outcome)
  );
}

export function isFromWorker(message: unknown): message is FromWorker {
  if (!isFields(message)) return false;
  if (message.type === 'logged-in' || message.type === 'done') return isCount(message.connection);
  return message.type === 'ready' || isThrottleRequest(message);
}

export function isToWorker(message: unknown): message is ToWorker {
  if (!isFields(message)) return false;
  if (message.type === 'session')
    return (
      isCount(message.connection) && isText(message.preread) && isCount(message.loginDeadlineMs)
    );
  if (message.type === 'login-admission')
    return isCount(message.id) && typeof message.allowed === 'boolean';
  return message.type === 'exit' || message.type === 'reload' || message.type === 'reopen-log';
}

export function isWorkerConfig(value: unknown): value is WorkerConfig {
  if (!isFields(value)) return false;
  const { home, channel, store, idleTimeoutMs, maxFrameBytes, maxInboxBytes, logLevel } = value;
  return (
    isText(home) &&
    isChannelKind(channel) &&
    (store === 'maildir' || (typeof store === 'string' && isPostgresUrl(store))) &&
    [idleTimeoutMs, maxFrameBytes, maxInboxBytes].every((n) => isCount(n)) &&
    isText(logLevel) &&
    (value.reportStore === undefined || typeof value.reportStore === 'boolean') &&
    (value.logFile === undefined || isText(value.logFile))
  );
}
