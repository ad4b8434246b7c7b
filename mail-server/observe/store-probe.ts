/**
 * Whether the mail store answers now, within a bounded time, for /readyz: PostgreSQL through a
 * connection of its own (the store's pool may be busy with real work, and a probe must not
 * queue behind it), the Maildir store by reading the home. Never throws; says why not.
 */
import { access, constants } from 'node:fs/promises';
import pg from 'pg';
import { describePostgresUrl } from '../store/postgres-connection.js';
import { isPostgresUrl, type StoreSpec } from '../store/open-store.js';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'sealed-mail probe',
  });
  // A connection the server ends while we wait is an answer, not a crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Settles with the work's outcome, or with a timeout after `ms`. */
function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

export async function probeStore(
  spec: StoreSpec,
  home: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  try {
    if (isPostgresUrl(spec)) await bounded(probePostgres(spec, timeoutMs), timeoutMs);
    else if (spec === 'maildir')
      await bounded(access(home, constants.R_OK | constants.W_OK | constants.X_OK), timeoutMs);
    return { ok: true };
  } catch (error) {
    const where = isPostgresUrl(spec) ? `PostgreSQL ${describePostgresUrl(spec)}` : home;
    return { ok: false, reason: `store ${where}: ${(error as Error).message}` };
  }
}
