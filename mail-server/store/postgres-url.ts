/**
 * What a PostgreSQL URL is called in logs, errors and --print-config: without node-postgres, so
 * that a server on the file store never loads it (test/mail-server/lazy-postgres.test.ts).
 */

/** `user@host:port/database` of a connection URL: what logs and errors show (never a password). */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the PostgreSQL database (unreadable URL)';
  }
}
