/** The test run's PostgreSQL cluster (test/setup/postgres.ts): a fresh database per use. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../mail-server/store/postgres-migrations.js';
import type { PostgresUrl } from '../../mail-server/store/open-store.js';

const provided = inject('postgres');

/** Why the PostgreSQL tests are skipped, or undefined when they run. */
export const postgresUnavailable: string | undefined =
  'unavailable' in provided ? provided.unavailable : undefined;

/** A title suffix for describe.skipIf that says why. */
export const skippedBecause = (reason: string | undefined): string =>
  reason === undefined ? '' : `: skipped, ${reason}`;

function clusterUrl(): string {
  if (!('url' in provided)) throw new Error(provided.unavailable);
  return provided.url;
}

export function databaseUrl(database: string): PostgresUrl {
  const url = new URL(clusterUrl());
  url.pathname = `/${database}`;
  return url.toString() as PostgresUrl;
}

export async function adminQuery(
  sql: string,
  database = 'postgres',
): Promise<pg.QueryResult<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database; `migrated` brings it to the server's schema. */
export async function freshDatabase(
  options: { migrated?: boolean } = {},
): Promise<{ url: PostgresUrl; name: string; drop: () => Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  if (options.migrated) await migrate(url);
  return {
    url,
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined),
  };
}

/** Polls `read` until `holds` accepts its result: for state that another process writes. */
export async function until<T>(
  read: () => Promise<T>,
  holds: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
