/**
 * The login throttle kept in PostgreSQL, as two hosts see it: the rules of throttle/rules.ts hold
 * for guesses spread over both. A clock of the test's own, so that no test waits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../mail-server/log.js';
import type { Admission, AttemptOutcome } from '../../mail-server/throttle/rules.js';
import { throttlePolicies } from '../../mail-server/throttle/rules.js';
import { PostgresThrottle } from '../../mail-server/throttle/postgres.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
} from '../helpers/postgres.js';

const log = createLogger('fatal');

describe.skipIf(postgresUnavailable !== undefined)(
  `login throttle shared by hosts in PostgreSQL${skippedBecause(postgresUnavailable)}`,
  () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let now = 1_000_000;
    const hosts: PostgresThrottle[] = [];
    let a: PostgresThrottle;
    let b: PostgresThrottle;

    beforeAll(async () => {
      database = await freshDatabase({ migrated: true });
    });
    afterAll(async () => {
      await database.drop();
    });
    afterEach(async () => {
      for (const host of hosts.splice(0)) await host.close();
      await adminQuery('TRUNCATE login_failures, login_attempts, known_devices', database.name);
    });
    const twoHosts = (): void => {
      now = 1_000_000;
      a = new PostgresThrottle(database.url, log, { now: () => now });
      b = new PostgresThrottle(database.url, log, { now: () => now });
      hosts.push(a, b);
    };

    /** One attempt, settled and recorded; returns whether it was admitted. */
    async function attempt(
      host: PostgresThrottle,
      user: string,
      address: string,
      outcome: AttemptOutcome = 'failed',
      knownUser = true,
    ): Promise<boolean> {
      const admission = await host.admit(user, address, knownUser);
      admission.settle(outcome);
      await host.whenSettled();
      return admission.allowed;
    }

    it('counts failures on either host against one user@address: the fourth locks it on both', async () => {
      twoHosts();
      for (const host of [a, b, a]) expect(await attempt(host, 'client2', '192.0.2.1')).toBe(true);
      // The first over the free failures is checked, and locks the pair for 1 s everywhere.
      expect(await attempt(b, 'client2', '192.0.2.1')).toBe(true);
      const refused = await a.admit('client2', '192.0.2.1', true);
      expect(refused).toMatchObject({ allowed: false, refusedBy: 'userAtAddress' });
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
      now += 999;
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
      now += 1;
      expect(await attempt(a, 'client2', '192.0.2.1')).toBe(true);
      // Then 2 s.
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
      now += 2000;
      expect(await attempt(b, 'client2', '192.0.2.1', 'succeeded')).toBe(true);
    });

    it('past the free failures, lets one attempt in at a time across hosts', async () => {
      twoHosts();
      for (const host of [a, b, a]) await attempt(host, 'client2', '192.0.2.1');
      const first: Admission = await a.admit('client2', '192.0.2.1', true);
      expect(first.allowed).toBe(true);
      expect(await b.admit('client2', '192.0.2.1', true)).toMatchObject({
        allowed: false,
        refusedBy: 'userAtAddress',
      });
      first.settle('abandoned');
      await a.whenSettled();
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(true);
    });

    it('before them, admits at once no more attempts than failures are left', async () => {
      twoHosts();
      await attempt(a, 'client2', '192.0.2.1');
      const both = await Promise.all([
        a.admit('client2', '192.0.2.1', true),
        b.admit('client2', '192.0.2.1', true),
      ]);
      expect(both.map((admission) => admission.allowed)).toEqual([true, true]);
      expect((await a.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
    });

    it('frees the places of a host that died with attempts in flight, once they expire', async () => {
      twoHosts();
      for (const host of [a, b, a]) await attempt(host, 'client2', '192.0.2.1');
      // Admitted on a host that is then gone: never settled.
      expect((await a.admit('client2', '192.0.2.1', true)).allowed).toBe(true);
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
      now += 30_001;
      expect((await b.admit('client2', '192.0.2.1', true)).allowed).toBe(true);
    });

    it('locks a user whose guesses come from many addresses over both hosts', async () => {
      twoHosts();
      const { freeFailures } = throttlePolicies.user;
      for (let i = 0; i <= freeFailures; i++)
        expect(await attempt(i % 2 ? a : b, 'client3', `198.51.100.${i}`)).toBe(true);
      expect(await b.admit('client3', '198.51.100.200', true)).toMatchObject({
        allowed: false,
        refusedBy: 'user',
      });
    });

    it('lets the owner in from a device known on another host while the user is locked', async () => {
      twoHosts();
      expect(await attempt(a, 'client3', '203.0.113.7', 'succeeded')).toBe(true);
      const { freeFailures } = throttlePolicies.user;
      for (let i = 0; i <= freeFailures; i++) await attempt(a, 'client3', `198.51.100.${i}`);
      expect((await a.admit('client3', '198.51.100.200', true)).allowed).toBe(false);
      expect((await b.admit('client3', '203.0.113.7', true)).allowed).toBe(true);
    });

    it('slows one address guessing at many users over both hosts', async () => {
      twoHosts();
      const { freeFailures } = throttlePolicies.address;
      for (let i = 0; i <= freeFailures; i++)
        expect(await attempt(i % 2 ? a : b, `user${i}`, '192.0.2.99')).toBe(true);
      expect(await a.admit('someone', '192.0.2.99', true)).toMatchObject({
        allowed: false,
        refusedBy: 'address',
      });
    });

    it('a flood of made-up names beyond the bound leaves the guesser locked, and the table bounded', async () => {
      now = 1_000_000;
      const bounded = { now: () => now, maxEntries: 20 };
      a = new PostgresThrottle(database.url, log, bounded);
      b = new PostgresThrottle(database.url, log, bounded);
      hosts.push(a, b);
      // Seven wrong guesses for client4 from one address, each past the free ones after its lock.
      for (let i = 0; i < 7; i++) {
        expect(await attempt(i % 2 ? a : b, 'client4', '192.0.2.66')).toBe(true);
        now += 16_000;
      }
      for (let i = 0; i < 200; i++) {
        await attempt(i % 2 ? a : b, `nobody${i}`, `198.18.0.${i % 50}`, 'failed', false);
        now += 8;
      }
      const rows = async (): Promise<Record<string, number>> => {
        const { rows: counts } = await adminQuery(
          'SELECT scope, count(*)::int AS n FROM login_failures GROUP BY scope',
          database.name,
        );
        return Object.fromEntries(counts.map((row) => [String(row.scope), Number(row.n)]));
      };
      // Each host prunes as it goes: the bounded scopes stay near their bound...
      const during = await rows();
      expect(during.unknown).toBeLessThanOrEqual(2 * 20);
      expect(during.address).toBeLessThanOrEqual(2 * 20);
      // ...and within it after a sweep; client4's two rows were never pruned.
      await a.sweep();
      expect(await rows()).toEqual({ known: 2, unknown: 20, address: 20 });
      // The next guess is checked and locks the pair; the ones after it, the right one too, are refused.
      const next: boolean[] = [];
      for (const host of [a, b, a, b]) next.push(await attempt(host, 'client4', '192.0.2.66'));
      expect(next).toEqual([true, false, false, false]);
    });

    it('clears the user’s count on a success, keeping the address’s', async () => {
      twoHosts();
      for (let i = 0; i < 3; i++) await attempt(a, 'client2', '192.0.2.1');
      await attempt(b, 'client2', '192.0.2.1', 'succeeded');
      const { rows } = await adminQuery('SELECT key, failures FROM login_failures', database.name);
      expect(rows).toEqual([{ key: 'a:192.0.2.1', failures: 3 }]);
    });
  },
);

describe('login throttle in PostgreSQL with no database to reach', () => {
  it('refuses the attempt (fails closed) after its wait', async () => {
    const throttle = new PostgresThrottle('postgres://mail@127.0.0.1:1/mail', log, {
      admitWaitMs: 200,
    });
    try {
      expect((await throttle.admit('client2', '192.0.2.1', true)).allowed).toBe(false);
    } finally {
      await throttle.close();
    }
  });
});
