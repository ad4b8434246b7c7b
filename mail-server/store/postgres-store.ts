/**
 * The mail store in PostgreSQL (schema: migrations/, docs/STORE.md), shared by any number of
 * mail-server hosts. A delivery is one transaction for all its recipients: every copy or
 * none. The text kept is section F's, byte for byte as the seed-files store writes it. An
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
  OnceDelivery,
  SendKey,
} from './mail-store.js';
import { MAX_SEND_RECORDS, type UserNames, userNames } from './mail-store.js';
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

/** Each owner's outcome: a copy stored, or none, which only the quota causes. */
function outcomesOf(owners: readonly string[], stored: Map<string, string>): DeliveryOutcome[] {
  return owners.map((recipient): DeliveryOutcome => {
    const id = stored.get(recipient);
    return id === undefined
      ? { recipient, status: 'overQuota' }
      : { recipient, status: 'delivered', id };
  });
}

function failedFor(owners: readonly string[], error: unknown): DeliveryOutcome[] {
  const reason = (error as Error).message;
  return owners.map((recipient) => ({ recipient, status: 'failed', reason }));
}

/** The send id's row exists: unique_violation on its key (migration 5). */
const isTakenSendId = (error: unknown): boolean => {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'sends_once';
};

/** The first delivery under a send id, as its row recorded it; undefined when there is none. */
async function readSend(
  client: pg.PoolClient,
  key: SendKey,
): Promise<(Omit<OnceDelivery, 'replayed'> & { delivery: string }) | undefined> {
  const result = await client.query<{
    delivery: string;
    named: string[];
    known: string[];
    delivered: Record<string, string>;
  }>('SELECT delivery, named, known, delivered FROM sends WHERE sender = $1 AND send_id = $2', [
    key.sender,
    key.sendId,
  ]);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    delivery: row.delivery,
    named: row.named,
    outcomes: outcomesOf(row.known, new Map(Object.entries(row.delivered))),
  };
}

/** A send id's row as the answer: a replay unless it is this delivery's own (its commit's answer was lost). */
const answered = (
  { delivery, outcomes, named }: Omit<OnceDelivery, 'replayed'> & { delivery: string },
  ours: string,
): OnceDelivery => ({ outcomes, named, replayed: delivery !== ours });

interface Listing {
  version: bigint;
  entries: MailboxEntry[];
}

/** An entry's place in the inbox order as one string: the receive-time key, NUL, the id in 19 digits. */
const orderKey = (entry: MailboxEntry): string =>
  `${receivedTimeSortKey(entry.receivedAt)}\0${entry.id.padStart(19, '0')}`;

/** Rows of `id TAB sender TAB received_at TAB title` (only the title may hold a tab). */
function listedRows(rows: readonly [string][]): MailboxEntry[] {
  return rows.map(([row]) => {
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

/** Two listings in inbox order as one, in a new array (a caller may still hold the old one). */
function mergeListings(old: MailboxEntry[], added: MailboxEntry[]): MailboxEntry[] {
  const lastOld = old.at(-1);
  const firstAdded = added[0];
  if (firstAdded === undefined) return old;
  if (lastOld === undefined || orderKey(lastOld) < orderKey(firstAdded)) return old.concat(added);
  // A delivery with an earlier receive time (another host's clock): sorted again.
  return old
    .concat(added)
    .map((entry) => ({ entry, key: orderKey(entry) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ entry }) => entry);
}

export class PostgresStore implements MailStore {
  readonly #users: UserNames;
  readonly #connection: PostgresConnection;
  readonly #listener: InboxChangeListener;
  /** The last listing of each inbox this process made, with the inbox version it shows. */
  readonly #listings = new Map<string, Listing>();

  constructor(
    url: string,
    users: Iterable<string> | UserNames,
    options: PostgresStoreOptions = defaultPostgresStoreOptions,
  ) {
    this.#users = userNames(users);
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
    // Named once for every try: a try whose commit's answer was lost is found by the next.
    const delivery = randomUUID();
    try {
      const stored = await this.#connection.run('delivering an email', (client) =>
        this.#store(client, incoming, owners, limits, delivery),
      );
      return stored === 'taken' ? [] : outcomesOf(owners, stored);
    } catch (error) {
      return failedFor(owners, error);
    }
  }

  /**
   * The delivery's statement also writes the send id's row (migration 5), so the copies and
   * the record commit together; a send id already recorded, by an earlier try that committed
   * or one committing now, fails the whole statement on the row's key, storing nothing, and
   * the row is read to answer.
   */
  async deliverOnce(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
    key: SendKey,
  ): Promise<OnceDelivery> {
    const owners = recipients.map((recipient) => this.#owner(recipient));
    const named = [...key.named];
    if (owners.length === 0) return { outcomes: [], named, replayed: false };
    const delivery = randomUUID();
    try {
      return await this.#connection.run('delivering an email once', async (client) => {
        const first = await readSend(client, key);
        if (first) return answered(first, delivery);
        const stored = await this.#store(client, incoming, owners, limits, delivery, key);
        if (stored !== 'taken')
          return { outcomes: outcomesOf(owners, stored), named, replayed: false };
        const taken = await readSend(client, key);
        if (!taken) throw new Error('a send id was taken, and its row is gone');
        return answered(taken, delivery);
      });
    } catch (error) {
      return { outcomes: failedFor(owners, error), named, replayed: false };
    }
  }

  /**
   * Stores one copy per owner in one statement; the owner and id of each copy of this
   * delivery, or `taken` when `key` is given and its send id already has a row.
   */
  async #store(
    client: pg.PoolClient,
    incoming: IncomingEmail,
    owners: readonly string[],
    limits: DeliveryLimits,
    delivery: string,
    key?: SendKey,
  ): Promise<Map<string, string> | 'taken'> {
    // Inboxes are locked in one order, so that two deliveries to the same people cannot wait
    // for each other.
    const sortedOwners = [...new Set(owners)].sort();
    const { email, contentLength, receivedAt } = incoming;
    const body = Buffer.from(formatStoredEmail(email, receivedAt, contentLength), 'utf8');
    const { maxInboxBytes } = limits;
    // One statement, so one transaction that holds each inbox row's lock only while it runs
    // (a transaction of several statements would hold it across round trips to a session
    // process that a busy machine may not run for a while):
    // - each recipient's inbox row is made or locked, in name order, and counts the copy when
    //   it fits the quota and was not stored by an earlier try of this delivery (a retry after
    //   a lost answer finds its rows and counts nothing twice);
    // - a copy is stored for each inbox counted, under the inbox's new version;
    // - with a send id, its row records the copies (and the sender's oldest rows beyond the
    //   bound go); a row already there for it fails the statement, which then stores nothing;
    // - the ids of this delivery's copies are returned, stored now or by the earlier try.
    const values: unknown[] = [
      sortedOwners,
      body.length,
      delivery,
      receivedTimeSortKey(receivedAt),
      receivedAt,
      email.from,
      titleToColumn(email.title),
      body,
      maxInboxBytes ?? null,
      INBOX_CHANNEL,
    ];
    const record = key
      ? `,
           recorded AS (
             INSERT INTO sends (sender, send_id, delivery, named, known, delivered)
             SELECT $11, $12, $3, $13::text[], $14::text[],
                    (SELECT coalesce(jsonb_object_agg(owner, id::text), '{}'::jsonb) FROM stored)),
           pruned AS (
             DELETE FROM sends WHERE sender = $11 AND seq <= (
               SELECT seq FROM sends WHERE sender = $11 ORDER BY seq DESC OFFSET $15 LIMIT 1))`
      : '';
    if (key) values.push(key.sender, key.sendId, [...key.named], [...owners], MAX_SEND_RECORDS - 1);
    let result: pg.QueryResult<{ id: string; owner: string }>;
    try {
      result = await client.query<{ id: string; owner: string }>(
        `WITH counted AS (
           INSERT INTO inbox_versions AS inbox (owner, version, bytes)
           SELECT owner, 1, $2 FROM unnest($1::text[]) AS owner
            WHERE $9::bigint IS NULL OR $2 <= $9
           ON CONFLICT (owner) DO UPDATE
              SET version = inbox.version + 1, bytes = inbox.bytes + $2
            WHERE ($9::bigint IS NULL OR inbox.bytes + $2 <= $9)
              AND NOT EXISTS (SELECT 1 FROM emails
                               WHERE delivery = $3 AND emails.owner = inbox.owner)
           RETURNING owner, version),
         stored AS (
           INSERT INTO emails (owner, delivery, received_key, received_at, sender, title, body, version)
           SELECT owner, $3, $4, $5, $6, $7, $8, version FROM counted
           ON CONFLICT (delivery, owner) DO NOTHING
           RETURNING id, owner, pg_notify($10, owner))${record}
         SELECT id::text, owner FROM stored
         UNION ALL
         SELECT id::text, owner FROM emails WHERE delivery = $3`,
        values,
      );
    } catch (error) {
      if (key && isTakenSendId(error)) return 'taken';
      throw error;
    }
    return new Map(result.rows.map((row) => [row.owner, row.id]));
  }

  /**
   * The inbox in receive order. This process keeps the last listing of each inbox with the
   * inbox's version: an unchanged inbox costs one row, a changed one its new rows; after a
   * removal it is read again whole.
   */
  async list(user: string): Promise<MailboxEntry[]> {
    const owner = this.#owner(user);
    const cached = this.#listings.get(owner);
    const listing = await this.#connection.run('listing an inbox', async (client) => {
      const state = await client.query<{ version: string; removed_at: string }>(
        'SELECT version::text, removed_at::text FROM inbox_versions WHERE owner = $1',
        [owner],
      );
      const version = BigInt(state.rows[0]?.version ?? 0);
      const removedAt = BigInt(state.rows[0]?.removed_at ?? 0);
      if (cached && cached.version === version) return cached;
      const since = cached && removedAt <= cached.version ? cached.version : -1n;
      // Rows up to the version read above: each has committed (versions commit in order),
      // and a later one is left for the next listing to take in.
      const result = await client.query<[string]>({
        // One text per row, split here: half the work of four columns for node-postgres.
        text: `SELECT id || E'\\t' || sender || E'\\t' || received_at || E'\\t' || title
               FROM emails WHERE owner = $1 AND version > $2 AND version <= $3 ${INBOX_ORDER}`,
        values: [owner, since.toString(), version.toString()],
        rowMode: 'array',
      });
      const fresh = listedRows(result.rows);
      return {
        version,
        entries: since < 0n || !cached ? fresh : mergeListings(cached.entries, fresh),
      };
    });
    this.#listings.set(owner, listing);
    return listing.entries;
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
        `WITH gone AS (DELETE FROM emails WHERE owner = $1 AND id = $2
                       RETURNING owner, octet_length(body) AS size),
              bumped AS (UPDATE inbox_versions AS inbox
                            SET version = inbox.version + 1, removed_at = inbox.version + 1,
                                bytes = inbox.bytes - gone.size
                           FROM gone WHERE inbox.owner = gone.owner)
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
