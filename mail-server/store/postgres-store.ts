/**
 * The mail store in PostgreSQL (schema: migrations/, docs/STORE.md), shared by any number of
 * mail-server hosts. A delivery is one transaction for all its recipients: every copy or
 * none. The text kept is section F's, byte for byte as the Maildir store writes it. An
 * email's id is its row's identity, never used again. Listing and reading by index follow
 * one index in receive order, the same on every host.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { formatStoredEmail, receivedTimeSortKey } from '../../protocol/email.js';
import type { Logger } from '../log.js';
import type {
  DeliveryLimits,
  DeliveryOutcome,
  EmailRef,
  IncomingEmail,
  MailboxEntry,
  MailStore,
} from './mail-store.js';
import { PostgresConnection } from './postgres-connection.js';
import { INBOX_CHANNEL, InboxChangeListener } from './postgres-listener.js';
import { titleFromColumn, titleToColumn } from './postgres-title.js';

export interface PostgresStoreOptions {
  /** Pool connections of this process (the change listener is one more, while anyone watches). */
  maxConnections: number;
  /** How long work waits for a database that cannot be reached (a restart) before it fails. */
  waitMs: number;
  log?: Logger;
}

export const defaultPostgresStoreOptions = { maxConnections: 1, waitMs: 30_000 } as const;

/** An id as the store hands them out: a positive 64-bit integer in decimal. */
const ID_PATTERN = /^[1-9]\d{0,18}$/;
const MAX_ID = 2n ** 63n - 1n;
const isStoredId = (id: string): boolean => ID_PATTERN.test(id) && BigInt(id) <= MAX_ID;

const INBOX_ORDER = 'ORDER BY received_key, id';

export class PostgresStore implements MailStore {
  readonly #users: ReadonlySet<string>;
  readonly #connection: PostgresConnection;
  readonly #listener: InboxChangeListener;

  constructor(
    url: string,
    users: Iterable<string>,
    options: PostgresStoreOptions = defaultPostgresStoreOptions,
  ) {
    this.#users = new Set(users);
    this.#connection = new PostgresConnection(url, options);
    this.#listener = new InboxChangeListener(url, options.log);
  }

  /** Only users of the home have inboxes: a name from the network is never trusted as one. */
  #owner(user: string): string {
    if (!this.#users.has(user)) throw new Error(`no inbox for "${user.slice(0, 64)}"`);
    return user;
  }

  async deliver(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits = {},
  ): Promise<DeliveryOutcome[]> {
    const owners = recipients.map((recipient) => this.#owner(recipient));
    if (owners.length === 0) return [];
    const { email, contentLength, receivedAt } = incoming;
    const body = Buffer.from(formatStoredEmail(email, receivedAt, contentLength), 'utf8');
    const delivery = randomUUID();
    const { maxInboxBytes } = limits;
    try {
      const stored = await this.#connection.transaction('delivering an email', async (client) => {
        // A quota is checked against what each inbox holds now: two deliveries at the same
        // moment may both fit in the room left for one (the quota is soft by that much).
        const full =
          maxInboxBytes === undefined
            ? new Set<string>()
            : new Set(
                (
                  await client.query<{ owner: string }>(
                    `SELECT owner FROM emails WHERE owner = ANY($1::text[])
                     GROUP BY owner HAVING sum(octet_length(body)) + $2 > $3`,
                    [owners, body.length, maxInboxBytes],
                  )
                ).rows.map((row) => row.owner),
              );
        const room = owners.filter((owner) => !full.has(owner));
        if (room.length === 0) return { stored: new Map<string, string>(), full };
        await client.query(
          `INSERT INTO emails (owner, delivery, received_key, received_at, sender, title, body)
           SELECT owner, $2, $3, $4, $5, $6, $7 FROM unnest($1::text[]) AS owner
           ON CONFLICT (delivery, owner) DO NOTHING`,
          [
            room,
            delivery,
            receivedTimeSortKey(receivedAt),
            receivedAt,
            email.from,
            titleToColumn(email.title),
            body,
          ],
        );
        await client.query(`SELECT pg_notify($1, owner) FROM unnest($2::text[]) AS owner`, [
          INBOX_CHANNEL,
          room,
        ]);
        const rows = await client.query<{ id: string; owner: string }>(
          'SELECT id, owner FROM emails WHERE delivery = $1',
          [delivery],
        );
        return { stored: new Map(rows.rows.map((row) => [row.owner, row.id])), full };
      });
      return owners.map((recipient): DeliveryOutcome => {
        if (stored.full.has(recipient)) return { recipient, status: 'overQuota' };
        const id = stored.stored.get(recipient);
        return id === undefined
          ? { recipient, status: 'failed', reason: 'not stored' }
          : { recipient, status: 'delivered', id };
      });
    } catch (error) {
      const reason = (error as Error).message;
      return owners.map((recipient) => ({ recipient, status: 'failed', reason }));
    }
  }

  async list(user: string): Promise<MailboxEntry[]> {
    const owner = this.#owner(user);
    // One text per row, split here: half the work of four columns for node-postgres. Only
    // the title, last, may hold a tab.
    const result = await this.#connection.run('listing an inbox', (client) =>
      client.query<[string]>({
        text: `SELECT id || E'\\t' || sender || E'\\t' || received_at || E'\\t' || title
               FROM emails WHERE owner = $1 ${INBOX_ORDER}`,
        values: [owner],
        rowMode: 'array',
      }),
    );
    return result.rows.map(([row]) => {
      const afterId = row.indexOf('\t');
      const afterSender = row.indexOf('\t', afterId + 1);
      const afterTime = row.indexOf('\t', afterSender + 1);
      return {
        id: row.slice(0, afterId),
        from: row.slice(afterId + 1, afterSender),
        receivedAt: row.slice(afterSender + 1, afterTime),
        title: titleFromColumn(row.slice(afterTime + 1)),
      };
    });
  }

  async read(user: string, ref: EmailRef): Promise<string | undefined> {
    const owner = this.#owner(user);
    let query: pg.QueryConfig;
    if ('id' in ref) {
      if (!isStoredId(ref.id)) return undefined;
      query = {
        text: 'SELECT body FROM emails WHERE owner = $1 AND id = $2',
        values: [owner, ref.id],
      };
    } else {
      if (!Number.isSafeInteger(ref.index) || ref.index < 1) return undefined;
      query = {
        text: `SELECT body FROM emails WHERE owner = $1 ${INBOX_ORDER} OFFSET $2 LIMIT 1`,
        values: [owner, ref.index - 1],
      };
    }
    // In binary: a megabyte body arrives as its bytes, not as hexadecimal text to decode.
    // (node-postgres takes `binary` per query; its type declarations omit it.)
    const binary: pg.QueryConfig & { binary: boolean } = { ...query, binary: true };
    const result = await this.#connection.run('reading an email', (client) =>
      client.query<{ body: Buffer }>(binary),
    );
    return result.rows[0]?.body.toString('utf8');
  }

  async remove(user: string, id: string): Promise<boolean> {
    const owner = this.#owner(user);
    if (!isStoredId(id)) return false;
    const result = await this.#connection.run('removing an email', (client) =>
      client.query(
        `WITH gone AS (DELETE FROM emails WHERE owner = $1 AND id = $2 RETURNING owner)
         SELECT pg_notify($3, owner) FROM gone`,
        [owner, id, INBOX_CHANNEL],
      ),
    );
    return result.rowCount === 1;
  }

  /** A delivery is one transaction: a process that died left nothing half done. */
  recover(): Promise<string[]> {
    return Promise.resolve([]);
  }

  watch(user: string, listener: () => void): () => void {
    return this.#listener.watch(this.#owner(user), listener);
  }

  async close(): Promise<void> {
    this.#listener.close();
    await this.#connection.close();
  }
}
