/** The login throttle's rules, with a clock of its own so that no test waits. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../mail-server/log.js';
import {
  defaultThrottleBounds,
  ThrottleBook,
  throttlePolicies,
  type ThrottleBounds,
} from '../../mail-server/throttle/rules.js';
import { PersistentThrottle, throttleFileName } from '../../mail-server/throttle/file.js';

function bookAt(
  start = 1_000_000,
  bounds: ThrottleBounds = defaultThrottleBounds,
): {
  book: ThrottleBook;
  advance: (ms: number) => void;
  now: () => number;
} {
  let now = start;
  return {
    book: new ThrottleBook(() => now, undefined, bounds),
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
  };
}

/** One attempt that is checked and fails; returns whether it was admitted. */
const fail = (book: ThrottleBook, user: string, address: string, knownUser = true): boolean => {
  const admission = book.admit(user, address, knownUser);
  admission.settle('failed');
  return admission.allowed;
};

describe('login throttle', () => {
  it('admits three failures of one user from one address, then locks that pair for 1 s, 2 s, 4 s', () => {
    const { book, advance } = bookAt();
    for (let i = 0; i < 3; i++) expect(fail(book, 'client2', 'a')).toBe(true);
    expect(fail(book, 'client2', 'a')).toBe(true); // the first over the free failures: locks 1 s
    expect(book.admit('client2', 'a', true).allowed).toBe(false);
    advance(999);
    expect(book.admit('client2', 'a', true).allowed).toBe(false);
    advance(1);
    expect(fail(book, 'client2', 'a')).toBe(true);
    expect(book.lockedFor('userAtAddress', 'client2', 'a')).toBe(2000);
    advance(2000);
    expect(fail(book, 'client2', 'a')).toBe(true);
    expect(book.lockedFor('userAtAddress', 'client2', 'a')).toBe(4000);
  });

  it('lets exactly one of many parallel guesses through when a lock expires', () => {
    const { book, advance } = bookAt();
    for (let i = 0; i < 4; i++) fail(book, 'client2', 'a');
    advance(1000);
    const parallel = Array.from({ length: 40 }, () => book.admit('client2', 'a', true));
    expect(parallel.filter((admission) => admission.allowed)).toHaveLength(1);
    for (const admission of parallel) admission.settle('failed');
    expect(book.admit('client2', 'a', true).allowed).toBe(false);
  });

  it('admits no more parallel attempts than a key has free failures left', () => {
    const { book } = bookAt();
    fail(book, 'client2', 'a');
    const parallel = Array.from({ length: 10 }, () => book.admit('client2', 'a', true));
    expect(parallel.filter((admission) => admission.allowed)).toHaveLength(2);
  });

  it('does not let a guesser on one address keep the owner out from another for long', () => {
    const { book, advance } = bookAt();
    // The guesser hammers client2 from one address for an hour, taking every admitted chance.
    for (let second = 0; second < 3600; second++) {
      const admission = book.admit('client2', '203.0.113.9', true);
      admission.settle(admission.allowed ? 'failed' : 'abandoned');
      advance(1000);
    }
    // The user-wide lock never exceeds its ceiling: the owner gets in within it.
    let waited = 0;
    while (!book.admit('client2', '198.51.100.7', true).allowed) {
      advance(1000);
      waited += 1000;
    }
    expect(waited).toBeLessThanOrEqual(throttlePolicies.user.maxLockMs);
    expect(book.lockedFor('userAtAddress', 'client2', '203.0.113.9')).toBeGreaterThan(60_000);
  });

  it('slows a guesser who rotates addresses, but not the owner on a known device', () => {
    const { book, advance } = bookAt();
    const owner = book.admit('client2', '198.51.100.7', true);
    owner.settle('succeeded');
    for (let i = 0; i < 30; i++) {
      const admission = book.admit('client2', `203.0.113.${i}`, true);
      admission.settle(admission.allowed ? 'failed' : 'abandoned');
    }
    expect(book.admit('client2', '203.0.113.200', true).allowed).toBe(false);
    expect(book.lockedFor('user', 'client2', '')).toBeGreaterThan(0);
    const again = book.admit('client2', '198.51.100.7', true);
    expect(again.allowed).toBe(true);
    again.settle('succeeded');
    advance(1);
  });

  it('locks an address that fails for many users, and only that address', () => {
    const { book } = bookAt();
    for (let i = 0; i < throttlePolicies.address.freeFailures + 1; i++)
      expect(fail(book, `user${i}`, '10.0.0.9')).toBe(true);
    expect(book.admit('user99', '10.0.0.9', true).allowed).toBe(false);
    expect(book.admit('user99', '10.0.0.10', true).allowed).toBe(true);
  });

  it('lets honest logins that arrive together through: many clients of one user, many users of one address', () => {
    const { book } = bookAt();
    const one = Array.from({ length: 50 }, () => book.admit('client1', '10.0.0.1', true));
    const many = Array.from({ length: 50 }, (_, i) => book.admit(`user${i}`, '10.0.0.2', true));
    expect([...one, ...many].every((admission) => admission.allowed)).toBe(true);
    for (const admission of [...one, ...many]) admission.settle('succeeded');
  });

  it('counts nothing for an attempt that was refused or abandoned', () => {
    const { book } = bookAt();
    for (let i = 0; i < 3; i++) fail(book, 'client2', 'a');
    book.admit('client2', 'a', true).settle('abandoned');
    // Still one free failure left: had the abandoned attempt counted, this would lock.
    expect(fail(book, 'client2', 'a')).toBe(true);
  });

  it('keeps its locks through a restart, in a file of the home written atomically', () => {
    const home = mkdtempSync(join(tmpdir(), 'sealed-mail-throttle-'));
    const log = createLogger('fatal');
    try {
      const file = throttleFileName('classic');
      const first = new PersistentThrottle(home, file, log);
      for (let i = 0; i < 8; i++) fail(first.book, 'client2', '10.0.0.1');
      first.close();
      expect(statSync(join(home, file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(home, file), 'utf8'))).toHaveProperty('entries');
      const second = new PersistentThrottle(home, file, log);
      expect(second.book.admit('client2', '10.0.0.1', true).allowed).toBe(false);
      expect(second.book.lockedFor('userAtAddress', 'client2', '10.0.0.1')).toBeGreaterThan(0);
      second.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  describe('a flood about names that are not users', () => {
    /** The guesser's seven wrong guesses for client4 from 192.0.2.66, 1 s apart past the free ones. */
    function guessedSeven(book: ThrottleBook, advance: (ms: number) => void): void {
      for (let i = 0; i < 7; i++) {
        expect(fail(book, 'client4', '192.0.2.66')).toBe(true);
        advance(book.lockedFor('userAtAddress', 'client4', '192.0.2.66'));
      }
    }

    /** `count` failures for made-up names from `addresses` addresses, 8 ms apart (6,000 in 48 s). */
    function flood(
      book: ThrottleBook,
      advance: (ms: number) => void,
      count: number,
      addresses: number,
    ) {
      for (let i = 0; i < count; i++) {
        const admission = book.admit(
          `nobody${i}`,
          `198.18.${(i % addresses) >> 8}.${(i % addresses) & 255}`,
          false,
        );
        admission.settle(admission.allowed ? 'failed' : 'abandoned');
        advance(8);
      }
    }

    it('as reported: 6,000 failures for made-up names from 604 addresses leave the guesser locked', () => {
      const { book, advance } = bookAt();
      guessedSeven(book, advance);
      expect(book.lockedFor('userAtAddress', 'client4', '192.0.2.66')).toBe(0);
      flood(book, advance, 6000, 604);
      // The next guess is checked and locks for 16 s; the three after it, the right one among
      // them, are refused (before: all four were checked, the book having dropped the entry).
      const next = ['wrong-a', 'wrong-b', 'wrong-c', 'right'].map(() => {
        const admission = book.admit('client4', '192.0.2.66', true);
        admission.settle('failed');
        return admission.allowed;
      });
      expect(next).toEqual([true, false, false, false]);
      expect(book.lockedFor('userAtAddress', 'client4', '192.0.2.66')).toBe(16_000);
    });

    it('keeps names that are not users, and addresses, within a bound of their own, the oldest dropped first', () => {
      const { book, advance } = bookAt(1_000_000, { maxEntries: 50, maxKnownDevices: 10 });
      guessedSeven(book, advance);
      flood(book, advance, 1000, 300);
      expect(book.sizeOf('unknown')).toBe(50);
      expect(book.sizeOf('address')).toBe(50);
      // client4's two entries, untouched by the flood.
      expect(book.sizeOf('known')).toBe(2);
      const { unknownUserEntries } = book.snapshot();
      expect(Object.keys(unknownUserEntries)).toContain('u:nobody999');
      expect(Object.keys(unknownUserEntries)).not.toContain('u:nobody0');
    });

    it('keeps the spaces apart through a restart, and reads a file written before them', () => {
      const home = mkdtempSync(join(tmpdir(), 'sealed-mail-throttle-'));
      const log = createLogger('fatal');
      try {
        const file = throttleFileName('classic');
        const first = new PersistentThrottle(home, file, log);
        for (let i = 0; i < 8; i++) fail(first.book, 'client2', '10.0.0.1');
        fail(first.book, 'nobody', '10.0.0.1', false);
        first.close();
        const saved = JSON.parse(readFileSync(join(home, file), 'utf8')) as {
          entries: Record<string, unknown>;
          unknownUserEntries: Record<string, unknown>;
        };
        expect(Object.keys(saved.entries).sort()).toEqual([
          'a:10.0.0.1',
          'u:client2',
          'ua:client2@10.0.0.1',
        ]);
        expect(Object.keys(saved.unknownUserEntries).sort()).toEqual([
          'u:nobody',
          'ua:nobody@10.0.0.1',
        ]);
        const second = new PersistentThrottle(home, file, log, Date.now, {
          maxEntries: 1,
          maxKnownDevices: 1,
        });
        expect(second.book.sizeOf('known')).toBe(2);
        expect(second.book.sizeOf('unknown')).toBe(1);
        expect(second.book.admit('client2', '10.0.0.1', true).allowed).toBe(false);
        second.close();
        // The format of before: one `entries` for every key.
        const entry = { failures: 8, lockedUntil: Date.now() + 60_000, lastFailure: Date.now() };
        writeFileSync(
          join(home, file),
          JSON.stringify({ entries: { 'ua:client3@10.0.0.2': entry }, knownDevices: {} }),
        );
        const third = new PersistentThrottle(home, file, log);
        expect(third.book.admit('client3', '10.0.0.2', true).allowed).toBe(false);
        third.close();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
});
