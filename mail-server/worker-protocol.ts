/** Messages between the mail server's parent process and its session children, and their guards. */
import { isChannelKind, type ChannelKind } from '../protocol/channel-kinds.js';
import { isPostgresUrl, type StoreSpec } from './store/open-store.js';
import type { AttemptOutcome, KeyKind } from './throttle.js';

/** What a session child needs to know, passed as its one argument (JSON). */
export interface WorkerConfig {
  home: string;
  channel: ChannelKind;
  store: StoreSpec;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  maxInboxBytes: number;
  logLevel: string;
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
/** Parent to child: a session to serve; retire; reread the home's users; or a throttle answer. */
export type ToWorker = SessionRequest | { type: 'exit' } | { type: 'reload' } | ThrottleAnswer;
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
 * The login throttle (throttle.ts) is the parent's, shared by all children: a child asks to
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

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null;
const OUTCOMES: readonly unknown[] = [
  'failed',
  'succeeded',
  'abandoned',
] satisfies AttemptOutcome[];

export function isThrottleRequest(message: unknown): message is ThrottleRequest {
  if (!isObject(message)) return false;
  if (message.type === 'login-admit')
    return (
      typeof message.id === 'number' &&
      typeof message.user === 'string' &&
      typeof message.address === 'string' &&
      typeof message.knownUser === 'boolean'
    );
  return (
    message.type === 'login-settle' &&
    typeof message.ticket === 'number' &&
    OUTCOMES.includes(message.outcome)
  );
}

export function isFromWorker(message: unknown): message is FromWorker {
  if (!isObject(message)) return false;
  if (message.type === 'logged-in' || message.type === 'done')
    return typeof message.connection === 'number';
  return message.type === 'ready' || isThrottleRequest(message);
}

export function isToWorker(message: unknown): message is ToWorker {
  if (!isObject(message)) return false;
  if (message.type === 'session')
    return (
      typeof message.connection === 'number' &&
      typeof message.preread === 'string' &&
      typeof message.loginDeadlineMs === 'number'
    );
  if (message.type === 'login-admission')
    return typeof message.id === 'number' && typeof message.allowed === 'boolean';
  return message.type === 'exit' || message.type === 'reload';
}

export function isWorkerConfig(value: unknown): value is WorkerConfig {
  if (!isObject(value)) return false;
  const { home, channel, store, idleTimeoutMs, maxFrameBytes, maxInboxBytes, logLevel } = value;
  return (
    typeof home === 'string' &&
    isChannelKind(channel) &&
    (store === 'files' || (typeof store === 'string' && isPostgresUrl(store))) &&
    [idleTimeoutMs, maxFrameBytes, maxInboxBytes].every((n) => typeof n === 'number') &&
    typeof logLevel === 'string'
  );
}
