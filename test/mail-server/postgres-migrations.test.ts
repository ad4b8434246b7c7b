/** The PostgreSQL schema's migrations: once each, in order, whole or not at all, from any number of hosts at once. */
import { describe, expect, it } from 'vitest';
import { isServerError } from '../../mail-server/errors.js';
import { migrations } from '../../mail-server/store/migrations/index.js';
import { migrate } from '../../mail-server/store/postgres-migrations.js';
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
