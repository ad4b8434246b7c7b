/**
 * The login throttle kept in the PostgreSQL store, so that every host counts the same
 * guesses: a guesser who spreads attempts over several hosts meets one book. The rules are
 * rules.ts's; only the state lives elsewhere (schema: ../store/migrations/0002). Each decision
 * is a transaction that first takes an advisory lock per key, in a fixed order, so two hosts
 * never admit past a key's limit between them.
 *
 * An admitted attempt holds a row per key until it is settled; a host that dies before
 * settling leaves rows that expire after ATTEMPT_LEASE_MS. When the database cannot be
 * reached in time, an attempt is refused: a throttle fails closed. Every channel kind shares
 * the book.
 *
 * Rows about names that are not users, and rows about addresses, are bounded each (`maxEntries`,
 * the oldest failures deleted first) so that a flood of made-up names neither grows the table
 * without end nor pushes out what is known about real users, whose rows are never deleted for
 * room (schema: store/migrations/0004).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../log.js';
import { PostgresConnection } from '../store/postgres-connection.js';
import {
  attemptKeys,
  defaultThrottleBounds,
  entryIsLive,
  keyAdmits,
  keyOf,
  KNOWN_DEVICE_MS,
  spaceOf,
  throttlePolicies,
  withFailure,
  type Admission,
  type AttemptOutcome,
  type EntrySpace,
  type KeyKind,
  type LoginThrottle,
  type ThrottleEntry,
} from './rules.js';

/** Longer than any check of a login takes, shorter than a guesser would wait for. */
const ATTEMPT_LEASE_MS = 30_000;
/**
 * Logins wait out a database restart as other work does; under the session process's own
 * wait for an answer (ipc.ts), so that it hears ours.
 */
const ADMIT_WAIT_MS = 30_000;
/** A settlement is not waited for by anyone: it may wait out a longer restart. */
const SETTLE_WAIT_MS = 30_000;
const SWEEP_EVERY_MS = 60_000;
const LONGEST_FORGET_MS = Math.max(
  ...Object.values(throttlePolicies).map((policy) => policy.forgetAfterMs),
);

type Keyed = { kind: KeyKind; key: string; space: EntrySpace };
/** The bounded scopes: every other is about a user and never deleted for room. */
const BOUNDED_SCOPES = ['unknown', 'address'] as const;
/**
 * A host prunes after recording this share of the bound in failures of bounded scopes, so that
 * between prunes the table grows by a tenth of the bound per host at most, and a prune's cost
 * (reading past the bound along the index) is shared by that many failures.
 */
const PRUNE_SHARE = 10;

/** Locks the keys for the rest of the transaction, in one order for every host. */
async function lockKeys(client: pg.PoolClient, keys: readonly Keyed[]): Promise<void> {
  const sorted = keys.map(({ key }) => key).sort();
  for (const key of sorted)
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}

interface KeyState {
  entry: ThrottleEntry | undefined;
  inFlight: number;
}

async function readKeys(
  client: pg.PoolClient,
  keys: readonly Keyed[],
  now: number,
): Promise<Map<string, KeyState>> {
  const result = await client.query<{
    key: string;
    failures: number | null;
    locked_until: string | null;
    last_failure: string | null;
    in_flight: string;
  }>(
    `SELECT k.key, f.failures, f.locked_until, f.last_failure,
            (SELECT count(*) FROM login_attempts a WHERE a.key = k.key AND a.expires_at > $2) AS in_flight
       FROM unnest($1::text[]) AS k(key) LEFT JOIN login_failures f ON f.key = k.key`,
    [keys.map(({ key }) => key), now],
  );
  const kinds = new Map(keys.map(({ kind, key }) => [key, kind]));
  return new Map(
    result.rows.map((row) => {
      const kind = kinds.get(row.key) ?? 'address';
      const entry =
        row.failures === null
          ? undefined
          : {
              failures: row.failures,
              lockedUntil: Number(row.locked_until),
              lastFailure: Number(row.last_failure),
            };
      const live = entry && entryIsLive(kind, entry, now) ? entry : undefined;
      return [row.key, { entry: live, inFlight: Number(row.in_flight) }];
    }),
  );
}

export interface PostgresThrottleOptions {
  now: () => number;
  /** How long an admission waits for an unreachable database before it refuses. */
  admitWaitMs: number;
  /** Rows kept about names that are not users, and as many about addresses (rules.ts). */
  maxEntries: number;
}

export class PostgresThrottle implements LoginThrottle {
  readonly #connection: PostgresConnection;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #admitWaitMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #settling = new Set<Promise<void>>();
  readonly #maxEntries: number;
  /** Failures of bounded scopes this host recorded since its last prune. */
  #sincePrune = 0;
  #pruning: Promise<void> | undefined;

  constructor(url: string, log: Logger, options: Partial<PostgresThrottleOptions> = {}) {
    this.#connection = new PostgresConnection(url, {
      maxConnections: 3,
      name: 'throttle',
      waitMs: SETTLE_WAIT_MS,
      log,
    });
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#admitWaitMs = options.admitWaitMs ?? ADMIT_WAIT_MS;
    this.#maxEntries = options.maxEntries ?? defaultThrottleBounds.maxEntries;
    this.#sweeper = setInterval(() => {
      void this.sweep();
    }, SWEEP_EVERY_MS);
    this.#sweeper.unref();
  }

  async admit(user: string, address: string, knownUser: boolean): Promise<Admission> {
    const attempt = randomUUID();
    try {
      return await this.#connection.transaction(
        'checking a login against the throttle',
        async (client) => {
          const now = this.#now();
          const known = await client.query(
            'SELECT 1 FROM known_devices WHERE key = $1 AND until > $2',
            [keyOf('userAtAddress', user, address), now],
          );
          const keys = attemptKeys(user, address, known.rowCount === 1).map((keyed) => ({
            ...keyed,
            space: spaceOf(keyed.kind, knownUser),
          }));
          await lockKeys(client, keys);
          const state = await readKeys(client, keys, now);
          const refusing = keys.find(({ kind, key }) => {
            const { entry, inFlight } = state.get(key) ?? { entry: undefined, inFlight: 0 };
            return !keyAdmits(kind, entry, inFlight, now);
          });
          if (refusing)
            return { allowed: false, refusedBy: refusing.kind, settle: () => undefined };
          // Tried again after a lost answer, the same attempt is recorded once.
          await client.query(
            `INSERT INTO login_attempts (attempt, key, expires_at)
             SELECT $1, key, $3 FROM unnest($2::text[]) AS key ON CONFLICT DO NOTHING`,
            [attempt, keys.map(({ key }) => key), now + ATTEMPT_LEASE_MS],
          );
          return this.#admitted(attempt, keys, user, address);
        },
        this.#admitWaitMs,
      );
    } catch (error) {
      this.#log.error(
        { err: error },
        'the login throttle cannot be consulted; the attempt is refused',
      );
      return { allowed: false, settle: () => undefined };
    }
  }

  #admitted(attempt: string, keys: readonly Keyed[], user: string, address: string): Admission {
    let settled = false;
    return {
      allowed: true,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        const settling = this.#settle(attempt, keys, user, address, outcome)
          .then(() => this.#pruneNowAndThen(keys, outcome))
          .catch((error: unknown) => {
            this.#log.error(
              { err: error, outcome },
              'a login attempt could not be recorded in the throttle',
            );
          })
          .finally(() => this.#settling.delete(settling));
        this.#settling.add(settling);
      },
    };
  }

  /** Safe to run twice: only the run that finds the attempt's rows counts it. */
  #settle(
    attempt: string,
    keys: readonly Keyed[],
    user: string,
    address: string,
    outcome: AttemptOutcome,
  ): Promise<void> {
    return this.#connection.transaction('recording a login attempt', async (client) => {
      if (outcome !== 'abandoned') await lockKeys(client, keys);
      const released = await client.query('DELETE FROM login_attempts WHERE attempt = $1', [
        attempt,
      ]);
      if (released.rowCount === 0 || outcome === 'abandoned') return;
      const now = this.#now();
      if (outcome === 'failed') {
        const state = await readKeys(client, keys, now);
        const updated = keys.map(({ kind, key }) => ({
          key,
          entry: withFailure(kind, state.get(key)?.entry, now),
        }));
        await client.query(
          `INSERT INTO login_failures (key, failures, locked_until, last_failure, scope)
           SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[], $5::text[])
           ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures,
             locked_until = EXCLUDED.locked_until, last_failure = EXCLUDED.last_failure,
             scope = EXCLUDED.scope`,
          [
            updated.map(({ key }) => key),
            updated.map(({ entry }) => entry.failures),
            updated.map(({ entry }) => entry.lockedUntil),
            updated.map(({ entry }) => entry.lastFailure),
            keys.map(({ space }) => space),
          ],
        );
        return;
      }
      // The address keeps its count: one account of a guesser's own must not wipe its guesses at others.
      await client.query('DELETE FROM login_failures WHERE key = ANY($1::text[])', [
        [keyOf('userAtAddress', user, address), keyOf('user', user, address)],
      ]);
      await client.query(
        `INSERT INTO known_devices (key, until) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until`,
        [keyOf('userAtAddress', user, address), now + KNOWN_DEVICE_MS],
      );
    });
  }

  /** Prunes the bounded scopes once this host has recorded a share of the bound in them. */
  async #pruneNowAndThen(keys: readonly Keyed[], outcome: AttemptOutcome): Promise<void> {
    if (outcome !== 'failed') return;
    this.#sincePrune += keys.filter(({ space }) => space !== 'known').length;
    if (this.#sincePrune < Math.max(1, Math.floor(this.#maxEntries / PRUNE_SHARE))) return;
    this.#sincePrune = 0;
    await this.#prune().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'the login throttle was not pruned');
    });
  }

  /** Deletes the oldest rows of each bounded scope beyond the bound; one prune at a time. */
  #prune(): Promise<void> {
    this.#pruning ??= this.#connection
      .run('pruning the login throttle', async (client) => {
        for (const scope of BOUNDED_SCOPES)
          await client.query(
            `DELETE FROM login_failures WHERE scope = $1 AND key IN (
               SELECT key FROM login_failures WHERE scope = $1
                ORDER BY last_failure DESC, key OFFSET $2)`,
            [scope, this.#maxEntries],
          );
      })
      .finally(() => {
        this.#pruning = undefined;
      });
    return this.#pruning;
  }

  /**
   * Forgets what no longer counts: old failures, expired attempts and known devices; and
   * prunes the bounded scopes, whatever this host recorded.
   */
  async sweep(): Promise<void> {
    const now = this.#now();
    try {
      await this.#connection.run('sweeping the login throttle', async (client) => {
        await client.query(
          'DELETE FROM login_failures WHERE last_failure < $1 AND locked_until < $2',
          [now - LONGEST_FORGET_MS, now],
        );
        await client.query('DELETE FROM login_attempts WHERE expires_at < $1', [now]);
        await client.query('DELETE FROM known_devices WHERE until < $1', [now]);
      });
      await this.#prune();
    } catch (error) {
      this.#log.warn({ err: error }, 'the login throttle was not swept');
    }
  }

  /** Forgets every failure counted against a user, on every host; returns how many rows went. */
  async unlock(user: string): Promise<number> {
    const result = await this.#connection.run('lifting the locks on a user', (client) =>
      client.query('DELETE FROM login_failures WHERE key = $1 OR starts_with(key, $2)', [
        keyOf('user', user, ''),
        `ua:${user}@`,
      ]),
    );
    return result.rowCount ?? 0;
  }

  /** Resolves once every attempt settled so far is recorded. */
  async whenSettled(): Promise<void> {
    await Promise.all([...this.#settling]);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.whenSettled();
    await this.#connection.close();
  }
}
