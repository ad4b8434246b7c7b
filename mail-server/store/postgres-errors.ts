/**
 * What a PostgreSQL failure means, told by its SQLSTATE code (or, for a network failure, its
 * errno), never by its message text, which changes with the server's version and language: a
 * sentence an operator can act on, for logs and for the STORE_UNAVAILABLE errors.
 *
 * The one exception is node-postgres's own errors, which carry no code at all: a password the
 * server asks for and was not given is told by the client's message.
 */

/** Codes the server sends, with what they mean here and what to do. */
const STATES: Record<string, string> = {
  '53300':
    'PostgreSQL refused: too many clients (max_connections); raise max_connections or lower --max-sessions (docs/STORE.md counts the connections)',
  '28P01':
    'PostgreSQL refused the password of the user in the --store URL (28P01); give the right one in the URL or PGPASSWORD',
  '28000':
    'PostgreSQL refused this user or host (28000, pg_hba.conf); allow them there or use another user',
  '3D000':
    'the database named in the --store URL does not exist (3D000); create it (createdb NAME) or name another',
  '57P01': 'PostgreSQL is shutting down (57P01, admin shutdown)',
  '57P02': 'PostgreSQL is restarting after a crash (57P02)',
  '57P03': 'PostgreSQL cannot take connections now: it is starting or stopping (57P03)',
  '42501': 'the user of the --store URL lacks a privilege the store needs (42501)',
  '53100': 'PostgreSQL is out of disk space (53100)',
};

const ERRNOS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens at the --store URL host and port (ECONNREFUSED)',
  ENOTFOUND: 'the --store URL host name is not known (ENOTFOUND)',
  EAI_AGAIN: 'the --store URL host name could not be looked up now (EAI_AGAIN)',
  ETIMEDOUT: 'the database host does not answer (ETIMEDOUT)',
  EHOSTUNREACH: 'the database host cannot be reached (EHOSTUNREACH)',
  ENETUNREACH: 'the database network cannot be reached (ENETUNREACH)',
  ECONNRESET: 'the database connection was reset (ECONNRESET)',
  EPIPE: 'the database connection was closed (EPIPE)',
};

/** The SQLSTATE code or errno of an error, when it has one. */
export function postgresCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What went wrong, for a person: by code where there is one, else the error's own message. */
export function describePostgresError(error: unknown): string {
  const code = postgresCode(error);
  const known = code === undefined ? undefined : (STATES[code] ?? ERRNOS[code]);
  if (known !== undefined) return known;
  const message = error instanceof Error ? error.message : String(error);
  // node-postgres's own error (no code) when the server asks for a password and none was given.
  if (code === undefined && /client password must be a string|SASL/.test(message))
    return "PostgreSQL asks for a password and none was given: set PGPASSWORD in the server's environment (or a ~/.pgpass entry), not in the --store URL on a shared host";
  if (code !== undefined && code.startsWith('08'))
    return `the database connection failed (${code}): ${message}`;
  return code === undefined ? message : `${message} (${code})`;
}
