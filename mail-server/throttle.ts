/**
 * Login throttling, after Dovecot's auth penalty and fail2ban, on both protocols. Three keys
 * are counted for each attempt, each with its own exponential backoff (a few free failures,
 * then locks of 1 s, 2 s, 4 s, ... up to a ceiling):
 *
 *   user@address  one username from one client address: the guesser's own key; long locks.
 *   user          one username from anywhere: slows guessers who rotate addresses; short
 *                 locks, so that nobody can keep the owner out for long; skipped for an
 *                 address the owner has logged in from before (a known device).
 *   address       one address, any username: slows guessing across many accounts; generous,
 *                 since one address may serve many users (a NAT, a web gateway).
 *
 * Failures are counted when they happen, so honest logins that arrive together are not
 * refused. But a key that has failed before admits a bounded number of attempts at once, and a
 * key past its free failures exactly one: when its lock expires, one guess is checked, not
 * every guess that was waiting. An attempt that is not admitted is still answered the same
 * way, after the same work, and counts nothing.
 *
 * The state is the parent process's (children serve one client each and would forget);
 * children ask over IPC (throttle-ipc.ts). It is written to the server's home, so a restart
 * does not lift a lock; with the PostgreSQL store it is kept in the database instead, so
 * that every host counts the same guesses (throttle-postgres.ts).
 */

export interface BackoffPolicy {
  /** Failures allowed before the first lock. */
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const throttlePolicies = {
  userAtAddress: { freeFailures: 3, baseLockMs: 1000, maxLockMs: 15 * MINUTE, forgetAfterMs: HOUR },
  user: { freeFailures: 10, baseLockMs: 1000, maxLockMs: MINUTE, forgetAfterMs: HOUR },
  address: {
    freeFailures: 20,
    baseLockMs: 1000,
    maxLockMs: 15 * MINUTE,
    forgetAfterMs: 15 * MINUTE,
  },
} as const satisfies Record<string, BackoffPolicy>;

/** How long an address the user logged in from counts as that user's known device. */
export const KNOWN_DEVICE_MS = 30 * 24 * HOUR;
/** How much the book keeps; configurable so that tests and small sites can use small numbers. */
export interface ThrottleBounds {
  /** Entries kept before old ones are pruned, so a flood of made-up names cannot exhaust memory. */
  maxEntries: number;
}

export const defaultThrottleBounds: ThrottleBounds = { maxEntries: 10_000 };

export type KeyKind = keyof typeof throttlePolicies;

export interface ThrottleEntry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** What the book keeps, and what is written to the server's home. */
export interface ThrottleSnapshot {
  entries: Record<string, ThrottleEntry>;
  knownDevices: Record<string, number>;
}

export type AttemptOutcome = 'failed' | 'succeeded' | 'abandoned';

export interface Admission {
  allowed: boolean;
  /** Why not, for the log: the key that refused. */
  refusedBy?: KeyKind;
  /** Settles the attempt: counts a failure, clears on success, or just frees its place. */
  settle(outcome: AttemptOutcome): void;
}

export const keyOf = (kind: KeyKind, user: string, address: string): string =>
  kind === 'userAtAddress'
    ? `ua:${user}@${address}`
    : kind === 'user'
      ? `u:${user}`
      : `a:${address}`;

const lockFor = (policy: BackoffPolicy, failures: number): number => {
  const over = failures - policy.freeFailures;
  return over > 0 ? Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** Math.min(over - 1, 30)) : 0;
};

/*
 * The rules, apart from where the state is kept: the book below keeps it in this process,
 * throttle-postgres.ts in the database that several hosts share.
 */

/** The keys an attempt counts under: from a known device, not the user's own key. */
export function attemptKeys(
  user: string,
  address: string,
  knownDevice: boolean,
): { kind: KeyKind; key: string }[] {
  const kinds: KeyKind[] = knownDevice
    ? ['userAtAddress', 'address']
    : ['userAtAddress', 'user', 'address'];
  return kinds.map((kind) => ({ kind, key: keyOf(kind, user, address) }));
}

/** Whether an entry still counts: a key with no failure for a while starts afresh. */
export const entryIsLive = (kind: KeyKind, entry: ThrottleEntry, now: number): boolean =>
  now - entry.lastFailure <= throttlePolicies[kind].forgetAfterMs;

/** Whether a key with this (live) entry and these attempts in flight admits one more now. */
export function keyAdmits(
  kind: KeyKind,
  entry: ThrottleEntry | undefined,
  inFlight: number,
  now: number,
): boolean {
  if (!entry) return true;
  if (now < entry.lockedUntil) return false;
  const { freeFailures } = throttlePolicies[kind];
  // Past the free failures, one attempt at a time; before, no more at once than are left.
  return entry.failures >= freeFailures ? inFlight === 0 : entry.failures + inFlight < freeFailures;
}

/** A key's (live) entry after one more failure now. */
export function withFailure(
  kind: KeyKind,
  entry: ThrottleEntry | undefined,
  now: number,
): ThrottleEntry {
  const failures = (entry?.failures ?? 0) + 1;
  const lock = lockFor(throttlePolicies[kind], failures);
  return {
    failures,
    lastFailure: now,
    lockedUntil: lock > 0 ? now + lock : (entry?.lockedUntil ?? 0),
  };
}

/** The throttle's state and rules; pure but for the clock, so tests can drive time. */
export class ThrottleBook {
  readonly #now: () => number;
  readonly #entries = new Map<string, ThrottleEntry>();
  readonly #inFlight = new Map<string, number>();
  readonly #knownDevices = new Map<string, number>();
  readonly #bounds: ThrottleBounds;
  #changed = false;

  constructor(
    now: () => number = Date.now,
    snapshot?: ThrottleSnapshot,
    bounds: ThrottleBounds = defaultThrottleBounds,
  ) {
    this.#now = now;
    this.#bounds = bounds;
    if (snapshot) {
      for (const [key, entry] of Object.entries(snapshot.entries)) this.#entries.set(key, entry);
      for (const [key, until] of Object.entries(snapshot.knownDevices))
        this.#knownDevices.set(key, until);
    }
  }

  /** True once since the last call when something worth saving changed. */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  snapshot(): ThrottleSnapshot {
    const now = this.#now();
    const entries: Record<string, ThrottleEntry> = {};
    for (const [key, entry] of this.#entries) if (this.#live(key, entry, now)) entries[key] = entry;
    const knownDevices: Record<string, number> = {};
    for (const [key, until] of this.#knownDevices) if (until > now) knownDevices[key] = until;
    return { entries, knownDevices };
  }

  /** Asks to check one attempt; an admitted attempt holds a place until it is settled. */
  admit(user: string, address: string): Admission {
    const now = this.#now();
    const keys = attemptKeys(user, address, this.#isKnownDevice(user, address, now));
    const refusing = keys.find(({ kind, key }) => !this.#admits(kind, key, now));
    if (refusing) return { allowed: false, refusedBy: refusing.kind, settle: () => undefined };
    for (const { key } of keys) this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    let settled = false;
    return {
      allowed: true,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        for (const { key } of keys) this.#release(key);
        if (outcome === 'failed') {
          for (const { kind, key } of keys) this.#fail(kind, key);
        } else if (outcome === 'succeeded') {
          // The address keeps its count: one account of a guesser's own must not wipe its guesses at others.
          this.#entries.delete(keyOf('userAtAddress', user, address));
          this.#entries.delete(keyOf('user', user, address));
          this.#knownDevices.set(
            keyOf('userAtAddress', user, address),
            this.#now() + KNOWN_DEVICE_MS,
          );
          this.#changed = true;
          this.#prune();
        }
      },
    };
  }

  /** When a key that refuses now will admit again (0 when it does now); for tests and logs. */
  lockedFor(kind: KeyKind, user: string, address: string): number {
    const entry = this.#entries.get(keyOf(kind, user, address));
    return entry ? Math.max(0, entry.lockedUntil - this.#now()) : 0;
  }

  #isKnownDevice(user: string, address: string, now: number): boolean {
    return (this.#knownDevices.get(keyOf('userAtAddress', user, address)) ?? 0) > now;
  }

  #live(key: string, entry: ThrottleEntry, now: number): boolean {
    return entryIsLive(this.#kindOf(key), entry, now);
  }

  #kindOf(key: string): KeyKind {
    return key.startsWith('ua:') ? 'userAtAddress' : key.startsWith('u:') ? 'user' : 'address';
  }

  #admits(kind: KeyKind, key: string, now: number): boolean {
    let entry = this.#entries.get(key);
    if (entry && !this.#live(key, entry, now)) {
      this.#entries.delete(key);
      entry = undefined;
    }
    return keyAdmits(kind, entry, this.#inFlight.get(key) ?? 0, now);
  }

  #release(key: string): void {
    const left = (this.#inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(key, left);
    else this.#inFlight.delete(key);
  }

  #fail(kind: KeyKind, key: string): void {
    this.#entries.set(key, withFailure(kind, this.#entries.get(key), this.#now()));
    this.#changed = true;
    this.#prune();
  }

  #prune(): void {
    const MAX_ENTRIES = this.#bounds.maxEntries;
    if (this.#entries.size + this.#knownDevices.size <= MAX_ENTRIES) return;
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (now >= entry.lockedUntil && !this.#inFlight.has(key)) this.#entries.delete(key);
      if (this.#entries.size <= MAX_ENTRIES / 2) break;
    }
    // Oldest known devices first (a Map keeps insertion order).
    for (const key of this.#knownDevices.keys()) {
      if (this.#entries.size + this.#knownDevices.size <= MAX_ENTRIES) break;
      this.#knownDevices.delete(key);
    }
  }
}

/** A session's view of the throttle, wherever its state lives (the parent, or this process). */
export interface LoginThrottle {
  admit(user: string, address: string): Promise<Admission>;
}

/** A throttle whose book is in this process (the parent's, or a server run in one process). */
export function localThrottle(book: ThrottleBook): LoginThrottle {
  return { admit: (user, address) => Promise.resolve(book.admit(user, address)) };
}
