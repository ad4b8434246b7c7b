/**
 * How many PostgreSQL connections one host's settings can use (docs/STORE.md, "Connections"),
 * and the warning at start when the database allows fewer: without it, a busy host meets
 * "too many clients" under load, long after the start looked fine.
 */
import pg from 'pg';

/** The parent: 3 for the login throttle, 1 for the store, 1 for the migrations at start. */
export const PARENT_CONNECTIONS = 5;
/** A session process: 1 for its work, 1 listener while it watches an inbox. */
export const CONNECTIONS_PER_PROCESS = 2;

export interface HostSizing {
  maxSessions: number;
  clientsPerProcess: number;
  maxUse: number;
}

/** Session processes serving at once, at most, and the connections they and the parent may hold. */
export function connectionsNeeded(sizing: HostSizing): { processes: number; connections: number } {
  const slotsPerProcess = Math.max(1, Math.min(sizing.clientsPerProcess, sizing.maxUse));
  const processes = Math.ceil(sizing.maxSessions / slotsPerProcess);
  return { processes, connections: CONNECTIONS_PER_PROCESS * processes + PARENT_CONNECTIONS };
}

export interface DatabaseLimits {
  maxConnections: number;
  /** Kept for superusers (superuser_reserved_connections): not for this server's role. */
  reserved: number;
}

/** The warning to log, or undefined when the database allows what this host can use. */
export function connectionWarning(
  sizing: HostSizing,
  limits: DatabaseLimits,
): { message: string; fields: Record<string, number> } | undefined {
  const { processes, connections } = connectionsNeeded(sizing);
  const usable = limits.maxConnections - limits.reserved;
  if (usable >= connections) return undefined;
  return {
    message: `PostgreSQL allows ${usable} connections (max_connections ${limits.maxConnections} less ${limits.reserved} reserved for superusers), this host's settings can use ${connections} (${CONNECTIONS_PER_PROCESS} × ${processes} session processes for --max-sessions ${sizing.maxSessions} + ${PARENT_CONNECTIONS} for the parent), and every other host sharing the database as many: raise max_connections to the sum over the hosts, or lower --max-sessions; past it logins and deliveries wait, then fail ("too many clients")`,
    fields: {
      maxConnections: limits.maxConnections,
      reserved: limits.reserved,
      usable,
      needed: connections,
      processes,
    },
  };
}

/** Reads the database's limits; bounded in time, since it only feeds a warning. */
export async function readDatabaseLimits(url: string, timeoutMs = 5000): Promise<DatabaseLimits> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'sealed-mail',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'superuser_reserved_connections', 'reserved_connections')",
    );
    const setting = (name: string): number =>
      Number(result.rows.find((row) => row.name === name)?.setting ?? 0);
    return {
      maxConnections: setting('max_connections'),
      reserved: setting('superuser_reserved_connections') + setting('reserved_connections'),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
