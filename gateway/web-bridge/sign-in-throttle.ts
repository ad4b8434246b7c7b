/**
 * Password guessing through the gateway, limited per username: a few wrong passwords, then each
 * further one makes that username wait twice as long as the one before (1 s, 2 s, 4 s, ... at most
 * the policy's maximum). Wrong passwords are counted when the mail server refuses them; while a
 * username waits, its sign-ins are refused before anything is sent. One sign-in per username is
 * on its way at a time, so guesses from many sockets at once go no faster than one after another.
 * Other usernames are never touched: one person's typos lock nobody else out.
 */
import type { SignInBackoffPolicy } from './config.js';

export type SignInOutcome = 'succeeded' | 'wrongPassword' | 'otherFailure';

/** A sign-in under way; `end` records how it went (only its first call counts). */
export interface SignInAttempt {
  end(outcome: SignInOutcome): void;
}

export type SignInVerdict =
  { allowed: true; attempt: SignInAttempt } | { allowed: false; waitMs: number };

interface Failures {
  count: number;
  lockedUntil: number;
  last: number;
}

/** Usernames remembered before the unlocked ones are forgotten, so made-up names cannot fill memory. */
const MAX_USERNAMES = 10_000;
/** What a sign-in refused because another one of its username is on its way is told to wait. */
const IN_FLIGHT_WAIT_MS = 1000;

export class SignInThrottle {
  readonly #policy: SignInBackoffPolicy;
  readonly #now: () => number;
  readonly #failures = new Map<string, Failures>();
  readonly #inFlight = new Set<string>();

  constructor(policy: SignInBackoffPolicy, now: () => number) {
    this.#policy = policy;
    this.#now = now;
  }

  begin(username: string): SignInVerdict {
    const now = this.#now();
    const failures = this.#current(username, now);
    if (failures && now < failures.lockedUntil)
      return { allowed: false, waitMs: failures.lockedUntil - now };
    if (this.#inFlight.has(username)) return { allowed: false, waitMs: IN_FLIGHT_WAIT_MS };
    this.#inFlight.add(username);
    let ended = false;
    return {
      allowed: true,
      attempt: {
        end: (outcome) => {
          if (ended) return;
          ended = true;
          this.#inFlight.delete(username);
          if (outcome === 'succeeded') this.#failures.delete(username);
          if (outcome === 'wrongPassword') this.#recordFailure(username);
        },
      },
    };
  }

  #current(username: string, now: number): Failures | undefined {
    const failures = this.#failures.get(username);
    if (failures && now - failures.last > this.#policy.forgetAfterMs) {
      this.#failures.delete(username);
      return undefined;
    }
    return failures;
  }

  #recordFailure(username: string): void {
    const now = this.#now();
    const failures = this.#current(username, now) ?? { count: 0, lockedUntil: 0, last: now };
    failures.count++;
    failures.last = now;
    const over = failures.count - this.#policy.freeFailures;
    if (over > 0) {
      const lockMs = this.#policy.baseLockMs * 2 ** Math.min(over - 1, 30);
      failures.lockedUntil = now + Math.min(this.#policy.maxLockMs, lockMs);
    }
    this.#failures.set(username, failures);
    if (this.#failures.size > MAX_USERNAMES) this.#forgetUnlocked(now);
  }

  #forgetUnlocked(now: number): void {
    for (const [username, failures] of this.#failures) {
      if (now >= failures.lockedUntil) this.#failures.delete(username);
      if (this.#failures.size <= MAX_USERNAMES / 2) return;
    }
  }
}
