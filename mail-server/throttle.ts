/**
 * Login throttling: per user and per client address, a few free failures, then a lock that
 * doubles with each further failure (1 s, 2 s, 4 s, ... up to 15 min). While a key is locked
 * the credentials are still checked (so the answer takes as long) but the result is ignored,
 * and the client gets the same single failure answer as for a wrong password.
 *
 * The state lives in the parent process: every client is served by a separate child, so a
 * counter in a child would reset with each connection. Children ask over IPC.
 */
import type { LoginAttempt, LoginOutcome, LoginVerdict } from './worker-protocol.js';

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
   * Says whether an attempt may succeed: neither its user nor its address is locked. Only
   * failures are counted, when they happen (as Dovecot's auth penalty and fail2ban do): counting
   * attempts in advance would refuse honest logins that arrive together, from one user's
   * several clients or from many users behind one address (a web gateway, a NAT). A burst of
   * parallel guesses is bounded by the server's --max-sessions until the first failures lock.
   */
  attempt(user: string, address: string): boolean {
    const now = this.#now();
    return !this.#users.isLocked(user, now) && !this.#addresses.isLocked(address, now);
  }

  /** Wrong credentials: one more failure for the user and for the address. */
  failed(user: string, address: string): void {
    const now = this.#now();
    this.#users.recordFailure(user, now);
    this.#addresses.recordFailure(address, now);
  }

  /**
   * A correct login clears the user's failures. The address keeps its count: one account of
   * the attacker's own must not wipe its guesses at others.
   */
  succeeded(user: string): void {
    this.#users.reset(user);
  }

  /** The parent's answer to a child's IPC message. */
  handle(message: LoginAttempt | LoginOutcome): LoginVerdict | undefined {
    if (message.type === 'login-attempt') {
      return {
        type: 'login-verdict',
        id: message.id,
        allowed: this.attempt(message.user, message.address),
      };
    }
    if (message.type === 'login-failed') this.failed(message.user, message.address);
    else this.succeeded(message.user);
    return undefined;
  }
}

/** A session child's view of the throttle. */
export interface ThrottleClient {
  attempt(user: string, address: string): Promise<boolean>;
  failed(user: string, address: string): void;
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
      failed: (user, address) => {
        local.failed(user, address);
      },
      succeeded: (user) => {
        local.succeeded(user);
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
    failed: (user, address) => {
      const report: LoginOutcome = { type: 'login-failed', user, address };
      send(report);
    },
    succeeded: (user, address) => {
      const report: LoginOutcome = { type: 'login-succeeded', user, address };
      send(report);
    },
  };
}
