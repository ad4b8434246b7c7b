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

/** The longest `connect_timeout` taken: an hour is already more than any start should wait. */
const MAX_CONNECT_TIMEOUT_S = 3600;

/**
 * The URL's `connect_timeout` (libpq's parameter: whole seconds to wait for a connection and its
 * first answer) in milliseconds, or `fallbackMs` when the URL has none. Throws, saying what to
 * write, when it is not a whole number from 1 to 3600 (libpq's 0, wait for ever, is refused: a
 * start that hangs tells an administrator nothing).
 */
export function connectTimeoutMs(url: string, fallbackMs: number): number {
  let value: string | null;
  try {
    value = new URL(url).searchParams.get('connect_timeout');
  } catch {
    return fallbackMs;
  }
  if (value === null) return fallbackMs;
  const seconds = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_CONNECT_TIMEOUT_S))
    throw new RangeError(
      `connect_timeout=${value.slice(0, 20)} in the PostgreSQL URL: write a whole number of seconds from 1 to ${MAX_CONNECT_TIMEOUT_S}`,
    );
  return seconds * 1000;
}
