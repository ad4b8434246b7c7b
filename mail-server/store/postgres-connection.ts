/**
 * A process's connections to the PostgreSQL store: a small pool (session processes are many;
 * see docs/STORE.md for the count), and work that waits out a database that is restarting:
 * while the database cannot be reached, each piece of work is tried again, with a growing
 * pause, for at most `waitMs`; then it fails with a STORE_UNAVAILABLE ServerError that says
 * which database and why. Work that changes anything must be safe to run twice (a commit
 * whose answer was lost is tried again): the store's deliveries carry a key for that.
 */
import pg from 'pg';
import { ServerError } from '../errors.js';
import type { Logger } from '../log.js';
import { registerPostgresPool } from '../observe/postgres-pools.js';
import { describePostgresError } from './postgres-errors.js';
import { connectTimeoutMs, describePostgresUrl } from './postgres-url.js';

export interface ConnectionOptions {
  /** Connections this process may hold at once. */
  maxConnections: number;
  /** How long work waits for an unreachable database before it fails. */
  waitMs: number;
  log?: Logger;
  /** What the pool is for, in the metrics (store, throttle). */
  name?: string;
}

/** A pool connection kept idle this long is closed: idle session processes hold none. */
const IDLE_CLOSE_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5000;
export const KEEPALIVE_MS = 10_000;
const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1000;

/**
 * SQLSTATE classes and codes after which the same work may succeed on another connection:
 * connection exceptions (08), the server shutting down or starting (57P01-57P03), too many
 * connections (53300), and a transaction chosen to give way (40001, 40P01).
 */
const RETRYABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether an error means the database could not be reached, not that it refused the work. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || RETRYABLE_STATES.has(code) || CONNECTION_ERRNOS.has(code))
      return true;
  }
  // node-postgres reports a connection lost mid-query or a connect timeout by message only.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    error.message,
  );
}

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class PostgresConnection {
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #options: ConnectionOptions;
  #unreachableSince: number | undefined;
  readonly #unregister: () => void;

  constructor(url: string, options: ConnectionOptions) {
    this.description = describePostgresUrl(url);
    this.#options = options;
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections,
      idleTimeoutMillis: IDLE_CLOSE_MS,
      connectionTimeoutMillis: connectTimeoutMs(url, CONNECT_TIMEOUT_MS),
      // A database host that vanishes without a word is noticed in seconds, not hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_MS,
      application_name: 'sealed-mail',
    });
    this.#unregister = registerPostgresPool(options.name ?? 'store', this.#pool);
    // An idle connection the server ends (a restart) is reported here; the pool drops it.
    this.#pool.on('error', (error) => {
      options.log?.warn(
        { database: this.description, err: error },
        'a PostgreSQL connection was lost',
      );
    });
  }

  /** Runs `work` on one connection, waiting out an unreachable database (see the header). */
  async run<T>(
    what: string,
    work: (client: pg.PoolClient) => Promise<T>,
    waitMs = this.#options.waitMs,
  ): Promise<T> {
    const started = Date.now();
    for (let pauseMs = FIRST_PAUSE_MS; ; pauseMs = Math.min(pauseMs * 2, LONGEST_PAUSE_MS)) {
      try {
        const result = await this.#once(work);
        this.#reachable();
        return result;
      } catch (error) {
        if (!isConnectionFailure(error)) throw this.#refused(what, error);
        this.#unreachable(error);
        if (Date.now() - started + pauseMs > waitMs) throw this.#unavailable(what, waitMs, error);
        await pause(pauseMs);
      }
    }
  }

  /** As run(), inside one transaction: committed whole or not at all. */
  transaction<T>(
    what: string,
    work: (client: pg.PoolClient) => Promise<T>,
    waitMs?: number,
  ): Promise<T> {
    return this.run(
      what,
      async (client) => {
        await client.query('BEGIN');
        try {
          const result = await work(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
      waitMs,
    );
  }

  async close(): Promise<void> {
    this.#unregister();
    await this.#pool.end();
  }

  async #once<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    // The pool stops listening to a connection it lends: one the server ends between two
    // queries (a restart) must not become an unhandled 'error' that ends this process.
    const lost = (error: Error): void => {
      broken = error;
    };
    client.on('error', lost);
    try {
      return await work(client);
    } catch (error) {
      if (isConnectionFailure(error)) broken = error as Error;
      throw error;
    } finally {
      client.off('error', lost);
      // A connection that failed is not given to the next piece of work.
      client.release(broken);
    }
  }

  #unreachable(error: unknown): void {
    if (this.#unreachableSince !== undefined) return;
    this.#unreachableSince = Date.now();
    // Told by SQLSTATE (postgres-errors.ts): "too many clients" is not "cannot be reached".
    this.#options.log?.warn(
      { database: this.description, err: error },
      `${describePostgresError(error)}; waiting for the PostgreSQL store`,
    );
  }

  #reachable(): void {
    if (this.#unreachableSince === undefined) return;
    this.#options.log?.warn(
      { database: this.description, waitedMs: Date.now() - this.#unreachableSince },
      'the PostgreSQL store is reachable again',
    );
    this.#unreachableSince = undefined;
  }

  #unavailable(what: string, waitMs: number, error: unknown): ServerError {
    return new ServerError(
      'STORE_UNAVAILABLE',
      `${what}: the mail store (PostgreSQL ${this.description}) did not answer within ${waitMs < 1000 ? `${waitMs} ms` : `${Math.round(waitMs / 1000)} s`} (${describePostgresError(error)})`,
      { cause: error },
    );
  }

  #refused(what: string, error: unknown): ServerError {
    if (error instanceof ServerError) return error;
    return new ServerError(
      'STORE_UNAVAILABLE',
      `${what}: the mail store (PostgreSQL ${this.description}) refused it (${describePostgresError(error)})`,
      { cause: error },
    );
  }
}
