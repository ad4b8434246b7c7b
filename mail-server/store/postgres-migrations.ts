/**
 * Brings a PostgreSQL database to the schema this server knows (migrations/), at its start.
 * Several hosts may start at once: each takes the same transaction-level advisory lock first,
 * so the steps run once, on one host, while the others wait and then find nothing to do. The
 * whole run is one transaction (PostgreSQL's DDL is transactional): a failed step leaves the
 * database as it was.
 */
import pg from 'pg';
import { ServerError } from '../errors.js';
import { migrations as knownMigrations, type Migration } from './migrations/index.js';
import { connectTimeoutMs, describePostgresUrl } from './postgres-url.js';
import { describePostgresError } from './postgres-errors.js';

/** The advisory lock's key: any constant that no other program on the database uses. */
const MIGRATION_LOCK = 5_146_307_270_001n;

export interface MigrationResult {
  /** Versions applied by this run (empty when the database was up to date). */
  applied: number[];
  /** The schema's version now. */
  version: number;
}

/**
 * How long a start waits for the database to answer a connection (unless the URL's
 * connect_timeout says otherwise), then a query.
 */
const START_CONNECT_TIMEOUT_MS = 10_000;
const START_QUERY_TIMEOUT_MS = 30_000;

export async function migrate(
  url: string,
  migrations: readonly Migration[] = knownMigrations,
): Promise<MigrationResult> {
  let connectMs: number;
  try {
    connectMs = connectTimeoutMs(url, START_CONNECT_TIMEOUT_MS);
  } catch (error) {
    throw new ServerError('STORE_UNAVAILABLE', (error as Error).message);
  }
  const client = new pg.Client({
    connectionString: url,
    application_name: 'sealed-mail',
    // A database that takes the connection and never answers must not hang the start: the
    // server exits with what to check, where a service manager sees it.
    connectionTimeoutMillis: connectMs,
    query_timeout: START_QUERY_TIMEOUT_MS,
  });
  // A connection that fails later is reported by the query that fails.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const message = (error as Error).message;
    throw new ServerError(
      'STORE_UNAVAILABLE',
      /timeout/i.test(message)
        ? `the mail store (PostgreSQL ${describePostgresUrl(url)}) took the connection but did not answer within ${connectMs / 1000} s: check that a PostgreSQL server is what listens there, and that it is not stuck`
        : `cannot reach the mail store (PostgreSQL ${describePostgresUrl(url)}): ${describePostgresError(error)}`,
      { cause: error },
    );
  }
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (row) => row.version,
      ),
    );
    const newest = Math.max(0, ...migrations.map((step) => step.version));
    const ahead = [...done].filter((version) => version > newest);
    if (ahead.length > 0) {
      throw new ServerError(
        'STORE_UNAVAILABLE',
        `the mail store (PostgreSQL ${describePostgresUrl(url)}) has schema version ${Math.max(...ahead)}, newer than this server's ${newest}: run a newer server`,
      );
    }
    const applied: number[] = [];
    for (const step of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(step.version)) continue;
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        step.version,
        step.name,
      ]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    return { applied, version: newest };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof ServerError) throw error;
    throw new ServerError(
      'STORE_UNAVAILABLE',
      `the mail store's schema (PostgreSQL ${describePostgresUrl(url)}) could not be brought up to date: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
