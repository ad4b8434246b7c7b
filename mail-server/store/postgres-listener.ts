/**
 * Tells this process's watchers when an inbox changes on any host: deliveries and removals
 * send NOTIFY on one channel with the owner's name (delivered at commit), and one connection
 * per process LISTENs, however many watch, opened while anyone watches. When that connection
 * is made (first, or again after the database came back) every watcher is called, since
 * anything may have changed while nobody listened.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import { KEEPALIVE_MS } from './postgres-connection.js';

export const INBOX_CHANNEL = 'sealed_mail_inbox';

const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5000;

export class InboxChangeListener {
  readonly #url: string;
  readonly #log: Logger | undefined;
  readonly #watchers = new Map<string, Set<() => void>>();
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = FIRST_RETRY_MS;

  constructor(url: string, log?: Logger) {
    this.#url = url;
    this.#log = log;
  }

  watch(user: string, listener: () => void): () => void {
    const listeners = this.#watchers.get(user) ?? new Set();
    this.#watchers.set(user, listeners);
    listeners.add(listener);
    if (!this.#client && !this.#retry) this.#connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#watchers.delete(user);
      if (this.#watchers.size === 0) this.#disconnect();
    };
  }

  close(): void {
    this.#watchers.clear();
    this.#disconnect();
  }

  #connect(): void {
    const client = new pg.Client({
      connectionString: this.#url,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_MS,
    });
    this.#client = client;
    client.on('notification', (message) => {
      if (message.channel !== INBOX_CHANNEL || message.payload === undefined) return;
      for (const listener of [...(this.#watchers.get(message.payload) ?? [])]) listener();
    });
    const lost = (error?: Error): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      if (this.#watchers.size === 0) return;
      this.#log?.warn(
        { err: error?.message, retryMs: this.#retryMs },
        'lost the PostgreSQL connection that listens for new mail; connecting again',
      );
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        if (this.#watchers.size > 0) this.#connect();
      }, this.#retryMs);
      this.#retry.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, LONGEST_RETRY_MS);
    };
    client.on('error', lost);
    client.on('end', () => {
      lost();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${INBOX_CHANNEL}`))
      .then(() => {
        if (this.#client !== client) return;
        this.#retryMs = FIRST_RETRY_MS;
        for (const listener of [...this.#watchers.values()].flatMap((set) => [...set])) listener();
      })
      .catch(lost);
  }

  #disconnect(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    client?.end().catch(() => undefined);
  }
}
