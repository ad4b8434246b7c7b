/**
 * Login throttling: per user and per client address, a few free failures, then a lock that
 * doubles with each further failure (1 s, 2 s, 4 s, ... up to 15 min). While a key is locked
 * the credentials are still checked (so the answer takes as long) but the result is ignored,
 * and the client gets the same single failure answer as for a wrong password.
 *
 * The state lives in the parent process: every client is served by a separate child, so a
 * counter in a child would reset with each connection. Children ask over IPC.
 */
import type { LoginAttempt, LoginSucceeded, LoginVerdict } from './worker-protocol.js';

export interface BackoffPolicy {
  /** Failures allowed before the first lock. */
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs: number;
}

export const userPolicy: BackoffPolicy = {
  freeFailures: 3,
  baseLockMs: 1000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};
/** An address may host several users (NAT), so it gets more free failures than one user. */
export const addressPolicy: BackoffPolicy = {
  freeFailures: 10,
  baseLockMs: 1000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

/** Entries kept before old ones are pruned, so a flood of made-up usernames cannot exhaust memory. */
const MAX_ENTRIES = 10_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Exponential backoff state for one kind of key (usernames, or addresses). */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #entries = new Map<string, Entry>();

  constructor(policy: BackoffPolicy) {
    this.#policy = policy;
  }

  #entry(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastFailure > this.#policy.forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  isLocked(key: string, now: number): boolean {
    const entry = this.#entry(key, now);
    return entry !== undefined && now < entry.lockedUntil;
  }

  recordFailure(key: string, now: number): void {
    const entry = this.#entry(key, now) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    entry.failures++;
    entry.lastFailure = now;
    const over = entry.failures - this.#policy.freeFailures;
    if (over > 0) {
      entry.lockedUntil =
        now +
        Math.min(this.#policy.maxLockMs, this.#policy.baseLockMs * 2 ** Math.min(over - 1, 30));
    }
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_ENTRIES) this.#prune(now);
  }

  /** Takes back one failure counted in advance. */
  undoFailure(key: string, now: number): void {
    const entry = this.#entry(key, now);
    if (!entry) return;
    entry.failures = Math.max(0, entry.failures - 1);
    if (entry.failures <= this.#policy.freeFailures) entry.lockedUntil = 0;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now >= entry.lockedUntil) this.#entries.delete(key);
      if (this.#entries.size <= MAX_ENTRIES / 2) return;
    }
  }
}

/** The parent's throttle: one per server, shared by every session child. */
export class LoginThrottle {
  readonly #users: Backoff;
  readonly #addresses: Backoff;
  readonly #now: () => number;

  constructor(
    now: () => number = Date.now,
    policies = { user: userPolicy, address: addressPolicy },
  ) {
    this.#now = now;
    this.#users = new Backoff(policies.user);
    this.#addresses = new Backoff(policies.address);
  }

  /**
   * Says whether an attempt may succeed. An allowed attempt is counted as a failure at once,
   * so that many parallel attempts cannot all pass before the first one is reported.
   */
  attempt(user: string, address: string): boolean {
    const now = this.#now();
    if (this.#users.isLocked(user, now) || this.#addresses.isLocked(address, now)) return false;
    this.#users.recordFailure(user, now);
    this.#addresses.recordFailure(address, now);
    return true;
  }

  /** A correct login clears the user's failures and takes back the address's advance count. */
  succeeded(user: string, address: string): void {
    this.#users.reset(user);
    this.#addresses.undoFailure(address, this.#now());
  }

  /** The parent's answer to a child's IPC message. */
  handle(message: LoginAttempt | LoginSucceeded): LoginVerdict | undefined {
    if (message.type === 'login-attempt') {
      return {
        type: 'login-verdict',
        id: message.id,
        allowed: this.attempt(message.user, message.address),
      };
    }
    this.succeeded(message.user, message.address);
    return undefined;
  }
}

/** A session child's view of the throttle. */
export interface ThrottleClient {
  attempt(user: string, address: string): Promise<boolean>;
  succeeded(user: string, address: string): void;
}

const VERDICT_TIMEOUT_MS = 5000;

function isVerdict(message: unknown): message is LoginVerdict {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'login-verdict'
  );
}

/**
 * Asks the parent over IPC. Without a parent (a server run in one process, as in unit tests)
 * it keeps the state itself. With no answer in time it refuses: a throttle fails closed.
 */
export function parentThrottle(): ThrottleClient {
  const send = process.send?.bind(process);
  if (!send) {
    const local = new LoginThrottle();
    return {
      attempt: (user, address) => Promise.resolve(local.attempt(user, address)),
      succeeded: (user, address) => {
        local.succeeded(user, address);
      },
    };
  }
  const pending = new Map<number, (allowed: boolean) => void>();
  let nextId = 1;
  process.on('message', (message: unknown) => {
    if (!isVerdict(message)) return;
    pending.get(message.id)?.(message.allowed);
    pending.delete(message.id);
  });
  return {
    attempt: (user, address) =>
      new Promise<boolean>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(false);
        }, VERDICT_TIMEOUT_MS);
        pending.set(id, (allowed) => {
          clearTimeout(timer);
          resolve(allowed);
        });
        const request: LoginAttempt = { type: 'login-attempt', id, user, address };
        send(request);
      }),
    succeeded: (user, address) => {
      const report: LoginSucceeded = { type: 'login-succeeded', user, address };
      send(report);
    },
  };
}
