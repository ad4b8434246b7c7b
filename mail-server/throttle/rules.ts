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
 * What the book keeps is split by whom it is about, so that a flood about one cannot push out
 * what is known about another: entries about the users of user_pass.json (never dropped for
 * room: there are as many as guesses the user key lets through, about one a minute per user
 * past its free failures), entries about names that are not users, and entries about
 * addresses; the last two are bounded each, the oldest failure dropped first. Dropping an
 * unknown name's entry frees nothing worth guessing: no password opens an account that does
 * not exist, and a refusal under a lock looks like any other, so it tells nobody which names
 * are real.
 *
 * The state is the parent process's (children serve one client each and would forget);
 * children ask over IPC (ipc.ts), saying whether the name is a user's. It is written to the server's home, so a restart
 * does not lift a lock; with the PostgreSQL store it is kept in the database instead, so
 * that every host counts the same guesses (postgres.ts).
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
/** How much the book keeps of what nobody bounds; configurable so that tests can use small numbers. */
export interface ThrottleBounds {
  /**
   * Entries kept about names that are not users, and as many about addresses, each the oldest
   * failure dropped first: so that a flood of made-up names or of addresses cannot exhaust
   * memory, nor push out what is known about real users.
   */
  maxEntries: number;
  /** Known devices kept, the oldest dropped first; only successful logins make them. */
  maxKnownDevices: number;
}

export const defaultThrottleBounds: ThrottleBounds = {
  maxEntries: 10_000,
  maxKnownDevices: 10_000,
};

/**
 * Where a key's entry is kept: `known` for the user and user@address keys of a name in
 * user_pass.json, `unknown` for those of any other name, `address` for address keys.
 */
export type EntrySpace = 'known' | 'unknown' | 'address';

export const spaceOf = (kind: KeyKind, knownUser: boolean): EntrySpace =>
  kind === 'address' ? 'address' : knownUser ? 'known' : 'unknown';

export type KeyKind = keyof typeof throttlePolicies;

export interface ThrottleEntry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** What the book keeps, and what is written to the server's home. */
export interface ThrottleSnapshot {
  /** About users of user_pass.json, and about addresses (`a:` keys). */
  entries: Record<string, ThrottleEntry>;
  /** About names that are not users (absent from files written before they were kept apart). */
  unknownUserEntries: Record<string, ThrottleEntry>;
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
 * postgres.ts in the database that several hosts share.
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

/** The first sweep of dead entries about users once there are this many. */
const KNOWN_SWEEP_FROM = 1024;

/** The throttle's state and rules; pure but for the clock, so tests can drive time. */
export class ThrottleBook {
  readonly #now: () => number;
  /** Each space in order of last failure, oldest first (an entry is moved to the end when it fails). */
  readonly #spaces: Record<EntrySpace, Map<string, ThrottleEntry>> = {
    known: new Map(),
    unknown: new Map(),
    address: new Map(),
  };
  readonly #inFlight = new Map<string, number>();
  readonly #knownDevices = new Map<string, number>();
  readonly #bounds: ThrottleBounds;
  /** Users' entries are not bounded by count; dead ones are swept when there are this many. */
  #sweepKnownAt = KNOWN_SWEEP_FROM;
  #changed = false;

  constructor(
    now: () => number = Date.now,
    snapshot?: ThrottleSnapshot,
    bounds: ThrottleBounds = defaultThrottleBounds,
  ) {
    this.#now = now;
    this.#bounds = bounds;
    if (snapshot) {
      const byAge = (entries: Record<string, ThrottleEntry>): [string, ThrottleEntry][] =>
        Object.entries(entries).sort(([, a], [, b]) => a.lastFailure - b.lastFailure);
      for (const [key, entry] of byAge(snapshot.entries))
        this.#spaces[key.startsWith('a:') ? 'address' : 'known'].set(key, entry);
      for (const [key, entry] of byAge(snapshot.unknownUserEntries))
        this.#spaces.unknown.set(key, entry);
      for (const [key, until] of Object.entries(snapshot.knownDevices).sort(
        ([, a], [, b]) => a - b,
      ))
        this.#knownDevices.set(key, until);
      this.#bound('unknown');
      this.#bound('address');
      this.#boundKnownDevices();
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
    const live = (...spaces: EntrySpace[]): Record<string, ThrottleEntry> => {
      const entries: Record<string, ThrottleEntry> = {};
      for (const space of spaces)
        for (const [key, entry] of this.#spaces[space])
          if (this.#live(key, entry, now)) entries[key] = entry;
      return entries;
    };
    const knownDevices: Record<string, number> = {};
    for (const [key, until] of this.#knownDevices) if (until > now) knownDevices[key] = until;
    return {
      entries: live('known', 'address'),
      unknownUserEntries: live('unknown'),
      knownDevices,
    };
  }

  /** Entries kept in one space, live or not yet swept; for tests. */
  sizeOf(space: EntrySpace): number {
    return this.#spaces[space].size;
  }

  /**
   * Asks to check one attempt; an admitted attempt holds a place until it is settled.
   * `knownUser`: whether `user` is a name of user_pass.json, which decides where its entries
   * are kept.
   */
  admit(user: string, address: string, knownUser: boolean): Admission {
    const now = this.#now();
    const keys = attemptKeys(user, address, this.#isKnownDevice(user, address, now)).map(
      (keyed) => ({ ...keyed, space: spaceOf(keyed.kind, knownUser) }),
    );
    const refusing = keys.find((keyed) => !this.#admits(keyed, now));
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
          for (const keyed of keys) this.#fail(keyed);
        } else if (outcome === 'succeeded') {
          // The address keeps its count: one account of a guesser's own must not wipe its guesses at others.
          const space = spaceOf('userAtAddress', knownUser);
          this.#spaces[space].delete(keyOf('userAtAddress', user, address));
          this.#spaces[space].delete(keyOf('user', user, address));
          const device = keyOf('userAtAddress', user, address);
          this.#knownDevices.delete(device);
          this.#knownDevices.set(device, this.#now() + KNOWN_DEVICE_MS);
          this.#changed = true;
          this.#boundKnownDevices();
        }
      },
    };
  }

  /** When a key that refuses now will admit again (0 when it does now); for tests and logs. */
  /** Forgets every failure counted against a user, from any address; returns how many entries. */
  unlock(user: string): number {
    let lifted = 0;
    const userKey = keyOf('user', user, '');
    const atPrefix = `ua:${user}@`;
    for (const space of Object.values(this.#spaces))
      for (const key of [...space.keys()])
        if (key === userKey || key.startsWith(atPrefix)) {
          space.delete(key);
          lifted++;
        }
    if (lifted > 0) this.#changed = true;
    return lifted;
  }

  lockedFor(kind: KeyKind, user: string, address: string): number {
    const key = keyOf(kind, user, address);
    const entry =
      this.#spaces.known.get(key) ?? this.#spaces.unknown.get(key) ?? this.#spaces.address.get(key);
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

  #admits({ kind, key, space }: Keyed, now: number): boolean {
    const entries = this.#spaces[space];
    let entry = entries.get(key);
    if (entry && !this.#live(key, entry, now)) {
      entries.delete(key);
      entry = undefined;
    }
    return keyAdmits(kind, entry, this.#inFlight.get(key) ?? 0, now);
  }

  #release(key: string): void {
    const left = (this.#inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(key, left);
    else this.#inFlight.delete(key);
  }

  #fail({ kind, key, space }: Keyed): void {
    const entries = this.#spaces[space];
    const entry = withFailure(kind, entries.get(key), this.#now());
    // Deleted first, so that the space stays in order of last failure.
    entries.delete(key);
    entries.set(key, entry);
    this.#changed = true;
    if (space === 'known') this.#sweepKnown();
    else this.#bound(space);
  }

  /** Drops the oldest entries of a bounded space beyond its bound, locked or not. */
  #bound(space: 'unknown' | 'address'): void {
    const entries = this.#spaces[space];
    for (const key of entries.keys()) {
      if (entries.size <= this.#bounds.maxEntries) break;
      entries.delete(key);
    }
  }

  /**
   * Users' entries are never dropped for room, only once they no longer count; swept when
   * their number has doubled since the last sweep, so that each failure pays a constant share.
   */
  #sweepKnown(): void {
    const entries = this.#spaces.known;
    if (entries.size < this.#sweepKnownAt) return;
    const now = this.#now();
    for (const [key, entry] of entries)
      if (!this.#live(key, entry, now) && !this.#inFlight.has(key)) entries.delete(key);
    this.#sweepKnownAt = Math.max(KNOWN_SWEEP_FROM, 2 * entries.size);
  }

  #boundKnownDevices(): void {
    // Oldest first: the Map is kept in order of the last login.
    for (const key of this.#knownDevices.keys()) {
      if (this.#knownDevices.size <= this.#bounds.maxKnownDevices) break;
      this.#knownDevices.delete(key);
    }
  }
}

type Keyed = { kind: KeyKind; key: string; space: EntrySpace };

/** A session's view of the throttle, wherever its state lives (the parent, or this process). */
export interface LoginThrottle {
  /** `knownUser`: whether `user` is a name of user_pass.json (ThrottleBook.admit). */
  admit(user: string, address: string, knownUser: boolean): Promise<Admission>;
}

/** A throttle whose book is in this process (the parent's, or a server run in one process). */
export function localThrottle(book: ThrottleBook): LoginThrottle {
  return {
    admit: (user, address, knownUser) => Promise.resolve(book.admit(user, address, knownUser)),
  };
}
