/** Messages between the mail server's parent process and its session children. */

export type ChannelKind = 'classic' | 'enhanced';

export interface WorkerConfig {
  home: string;
  channel: ChannelKind;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  logLevel: string;
}

/**
 * Parent to child: serve the socket sent with this message, first replaying the bytes the
 * parent read from it while screening (base64); or retire.
 */
export type ToWorker = { type: 'session'; preread: string } | { type: 'exit' };
/** Child to parent: ready for a session; finished one. */
export type FromWorker = { type: 'ready' } | { type: 'done' };

/**
 * Login throttling (mail-server/throttle.ts): the state is the parent's, shared by all children.
 * A child asks before it checks credentials, then reports the outcome.
 */
export type LoginAttempt = { type: 'login-attempt'; id: number; user: string; address: string };
export type LoginOutcome = {
  type: 'login-succeeded' | 'login-failed';
  user: string;
  address: string;
};
export type LoginVerdict = { type: 'login-verdict'; id: number; allowed: boolean };

export function isThrottleRequest(message: unknown): message is LoginAttempt | LoginOutcome {
  if (typeof message !== 'object' || message === null) return false;
  const { type, id, user, address } = message as {
    type?: unknown;
    id?: unknown;
    user?: unknown;
    address?: unknown;
  };
  if (typeof user !== 'string' || typeof address !== 'string') return false;
  return (
    (type === 'login-attempt' && typeof id === 'number') ||
    type === 'login-succeeded' ||
    type === 'login-failed'
  );
}

export function isFromWorker(message: unknown): message is FromWorker {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'ready' || type === 'done';
}

export function isToWorker(message: unknown): message is ToWorker {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'session' || type === 'exit';
}
