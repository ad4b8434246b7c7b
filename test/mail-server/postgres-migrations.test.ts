/** The PostgreSQL schema's migrations: once each, in order, whole or not at all, from any number of hosts at once. */
import { describe, expect, it } from 'vitest';
import { isServerError } from '../../mail-server/errors.js';
import { migrations } from '../../mail-server/store/migrations/index.js';
import { migrate } from '../../mail-server/store/postgres-migrations.js';
import { PostgresStore } from '../../mail-server/store/postgres-store.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
} from '../helpers/postgres.js';

const newest = Math.max(...migrations.map((step) => step.version));

async function appliedVersions(database: string): Promise<number[]> {
  const { rows } = await adminQuery(
    'SELECT version FROM schema_migrations ORDER BY version',
    database,
  );
  return rows.map((row) => Number(row.version));
}

describe.skipIf(postgresUnavailable !== undefined)(
  `PostgreSQL schema migrations${skippedBecause(postgresUnavailable)}`,
  () => {
    it('brings an empty database to the newest version, then finds nothing to do', async () => {
      const database = await freshDatabase();
      try {
        expect(await migrate(database.url)).toEqual({
          applied: migrations.map((step) => step.version),
          version: newest,
        });
        expect(await migrate(database.url)).toEqual({ applied: [], version: newest });
        expect(await appliedVersions(database.name)).toEqual(
          migrations.map((step) => step.version),
        );
      } finally {
        await database.drop();
      }
    });

    it("keeps the throttle's failures of an older schema: step 4 files address keys apart, the rest as users'", async () => {
      const database = await freshDatabase();
      try {
        await migrate(
          database.url,
          migrations.filter((step) => step.version < 4),
        );
        await adminQuery(
          `INSERT INTO login_failures (key, failures, locked_until, last_failure)
           VALUES ('ua:client2@192.0.2.1', 7, 0, 1), ('u:client2', 7, 0, 1), ('a:192.0.2.1', 7, 0, 1)`,
          database.name,
        );
        await migrate(database.url);
        const { rows } = await adminQuery(
          'SELECT key, scope FROM login_failures ORDER BY key',
          database.name,
        );
        expect(rows).toEqual([
          { key: 'a:192.0.2.1', scope: 'address' },
          { key: 'u:client2', scope: 'known' },
          { key: 'ua:client2@192.0.2.1', scope: 'known' },
        ]);
      } finally {
        await database.drop();
      }
    });

    it('keeps the emails of an older schema: step 3 counts their bytes and lists them as before', async () => {
      const database = await freshDatabase();
      try {
        await migrate(
          database.url,
          migrations.filter((step) => step.version < 3),
        );
        await adminQuery(
          `INSERT INTO emails (owner, delivery, received_key, received_at, sender, title, body)
           SELECT 'client2', gen_random_uuid(), k, k, 'client1', 'old ' || i, convert_to(repeat('x', 100), 'UTF8')
             FROM generate_series(1, 3) AS i,
                  LATERAL (SELECT '2024-01-0' || i || ' 00:00:00.000000' AS k) AS t`,
          database.name,
        );
        expect(await migrate(database.url)).toEqual({
          applied: migrations.filter((step) => step.version >= 3).map((step) => step.version),
          version: newest,
        });
        const store = new PostgresStore(database.url, ['client1', 'client2']);
        try {
          expect((await store.list('client2')).map((entry) => entry.title)).toEqual([
            'old 1',
            'old 2',
            'old 3',
          ]);
          // 300 bytes held: a 250-byte quota refuses any more.
          const [outcome] = await store.deliver(
            {
              email: { from: 'client1', to: ['client2'], title: 'new', content: 'y' },
              contentLength: 1,
              receivedAt: '2024-01-04 00:00:00.000000',
            },
            ['client2'],
            { maxInboxBytes: 250 },
          );
          expect(outcome?.status).toBe('overQuota');
          const [removed] = await store.list('client2');
          expect(await store.remove('client2', removed?.id ?? '')).toBe(true);
          expect((await store.list('client2')).map((entry) => entry.title)).toEqual([
            'old 2',
            'old 3',
          ]);
        } finally {
          await store.close();
        }
      } finally {
        await database.drop();
      }
    });

    it('applies each step once when six hosts start at the same moment', async () => {
      const database = await freshDatabase();
      try {
        const runs = await Promise.all(Array.from({ length: 6 }, () => migrate(database.url)));
        const applied = runs.flatMap((run) => run.applied);
        expect(applied.sort((a, b) => a - b)).toEqual(migrations.map((step) => step.version));
        expect(runs.filter((run) => run.applied.length > 0)).toHaveLength(1);
        expect(await appliedVersions(database.name)).toEqual(
          migrations.map((step) => step.version),
        );
      } finally {
        await database.drop();
      }
    });

    it('leaves the database as it was when a step fails', async () => {
      const database = await freshDatabase();
      try {
        const failing = [
          { version: 1, name: 'a table', sql: 'CREATE TABLE kept_only_if_all_pass (x int)' },
          { version: 2, name: 'a mistake', sql: 'CREATE TABLE broken (' },
        ];
        const failure = await migrate(database.url, failing).catch((error: unknown) => error);
        expect(isServerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
        expect((failure as Error).message).toMatch(/could not be brought up to date/);
        const { rows } = await adminQuery(
          "SELECT to_regclass('kept_only_if_all_pass') AS kept, to_regclass('schema_migrations') AS log",
          database.name,
        );
        expect(rows[0]).toEqual({ kept: null, log: null });
      } finally {
        await database.drop();
      }
    });

    it('refuses a database that a newer server has migrated', async () => {
      const database = await freshDatabase({ migrated: true });
      try {
        await adminQuery(
          `INSERT INTO schema_migrations (version, name) VALUES (${newest + 1}, 'from the future')`,
          database.name,
        );
        const failure = await migrate(database.url).catch((error: unknown) => error);
        expect(isServerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
        expect((failure as Error).message).toMatch(
          new RegExp(`schema version ${newest + 1}, newer than this server's ${newest}`),
        );
      } finally {
        await database.drop();
      }
    });
  },
);

describe('PostgreSQL schema migrations with no database to reach', () => {
  it('stop the start with an error that names the database', async () => {
    const failure = await migrate('postgres://mail@127.0.0.1:1/mail').catch(
      (error: unknown) => error,
    );
    expect(isServerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect((failure as Error).message).toMatch(
      /cannot reach the mail store \(PostgreSQL mail@127\.0\.0\.1:1\/mail\): .*ECONNREFUSED/,
    );
  });
});
