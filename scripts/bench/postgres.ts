/**
 * The PostgreSQL store's figures: the protocol figures of bench/protocol.ts on it (to set
 * beside the file store's), and an inbox of 100,000 emails listed through the store and
 * through a session.
 */
import { join } from 'node:path';
import pg from 'pg';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import type { PostgresUrl } from '../../mail-server/store/open-store.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { migrate } from '../../mail-server/store/postgres-migrations.js';
import { PostgresStore } from '../../mail-server/store/postgres-store.js';
import { spawnMailServer } from '../lib/server-process.js';
import { benchProtocol, type ProtocolFigures } from './protocol.js';
import { percentile, timeEach } from './stats.js';

const BIG_INBOX = 100_000;

export interface PostgresFigures extends ProtocolFigures {
  /** A process's first listing of the inbox: every row read. */
  list_100k_emails_store_first_p50_ms: number;
  /** Listing again, unchanged (one row read), and after one more delivery (its row read). */
  list_100k_emails_store_p50_ms: number;
  list_100k_emails_store_p90_ms: number;
  list_100k_after_a_delivery_store_p50_ms: number;
  /** Listing again through a session: the classic table, and session version 2's typed rows. */
  list_100k_emails_session_p50_ms: number;
  list_100k_emails_enhanced_session_p50_ms: number;
  /** The same after one more email was delivered by another process: the client refreshing. */
  list_100k_after_a_delivery_session_p50_ms: number;
  list_100k_after_a_delivery_enhanced_session_p50_ms: number;
  read_index_100000_of_100k_p50_ms: number;
}

/** Fills client4's inbox with BIG_INBOX emails of the server's format, in one statement. */
async function fillBigInbox(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO emails (owner, delivery, received_key, received_at, sender, title, body)
      SELECT 'client4', gen_random_uuid(), at, at, 'client5', title,
             convert_to(format(E'From: client5\\nTo: client4\\nTime and Date: %s\\nTitle: %s\\nContent Length: %s\\nContent:\\n%s',
                               at, title, length(content), content), 'UTF8')
        FROM generate_series(1, ${BIG_INBOX}) AS i,
             LATERAL (SELECT to_char(timestamp '2026-01-01' + i * interval '1 second',
                                     'YYYY-MM-DD HH24:MI:SS.US') AS at,
                             'email number ' || i AS title,
                             repeat('body ' || i || E'\\n', 20) AS content) AS email`);
    // What autovacuum does soon after on a live database: index-only scans can skip the table.
    await client.query('VACUUM ANALYZE emails');
  } finally {
    await client.end();
  }
}

async function newDatabase(adminUrl: string, name: string): Promise<PostgresUrl> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString() as PostgresUrl;
}

/**
 * `adminUrl` names a database of a PostgreSQL server where databases may be made; the bench
 * makes (and replaces) `sealed_mail_bench` and `sealed_mail_bench_100k` beside it.
 */
export async function benchPostgres(dir: string, adminUrl: string): Promise<PostgresFigures> {
  const protocol = await benchProtocol(
    dir,
    'classic',
    undefined,
    await newDatabase(adminUrl, 'sealed_mail_bench'),
  );

  const url = await newDatabase(adminUrl, 'sealed_mail_bench_100k');
  await migrate(url);
  await fillBigInbox(url);
  const store = new PostgresStore(url, ['client4', 'client5']);
  let expected = BIG_INBOX;
  const expectAll = (count: number): void => {
    if (count !== expected) throw new Error(`listed ${count} emails, not ${expected}`);
  };
  const firstLists = await timeEach(5, async () => {
    const fresh = new PostgresStore(url, ['client4']);
    try {
      expectAll((await fresh.list('client4')).length);
    } finally {
      await fresh.close();
    }
  });
  const storeLists = await timeEach(20, async () => {
    expectAll((await store.list('client4')).length);
  });
  let deliveries = 0;
  /** One more email into the big inbox, by this process's store (as another host would). */
  const deliverOne = async (): Promise<void> => {
    const content = `one more, ${deliveries}`;
    await store.deliver(
      {
        email: { from: 'client5', to: ['client4'], title: `one more ${deliveries}`, content },
        contentLength: content.length,
        receivedAt: `2027-01-01 00:${String(Math.floor(deliveries / 60)).padStart(2, '0')}:${String(deliveries % 60).padStart(2, '0')}.000000`,
      },
      ['client4'],
    );
    deliveries++;
    expected++;
  };
  const afterDelivery: number[] = [];
  for (let i = 0; i < 20; i++) {
    await deliverOne();
    const start = performance.now();
    expectAll((await store.list('client4')).length);
    afterDelivery.push(performance.now() - start);
  }
  const reads = await timeEach(20, async () => {
    if ((await store.read('client4', { index: BIG_INBOX })) === undefined)
      throw new Error('the last email was not read');
  });

  /**
   * Five listings through a session of a real server of that kind (its first listing apart),
   * then five more each after one delivery made elsewhere: what a client refreshing on new
   * mail waits for.
   */
  const listThroughSession = async (
    channel: ChannelKind,
  ): Promise<{ unchanged: number[]; afterDelivery: number[] }> => {
    const server = await spawnMailServer({
      home: join(dir, 'server'),
      enhanced: channel === 'enhanced',
      args: ['--store', url],
    });
    try {
      const session = await openSession({
        host: '127.0.0.1',
        port: server.port,
        channel,
        credentials: { username: 'client4', password: 'password4' },
        keys: loadClientKeys(join(dir, 'client4'), 'client4', { passphrase: 'password4' }),
      });
      expectAll((await session.listInbox()).rows.length);
      const unchanged = await timeEach(5, async () => {
        expectAll((await session.listInbox()).rows.length);
      });
      const afterDelivery: number[] = [];
      for (let i = 0; i < 5; i++) {
        await deliverOne();
        const start = performance.now();
        const { rows } = await session.listInbox();
        afterDelivery.push(performance.now() - start);
        expectAll(rows.length);
        if (rows.at(-1)?.title !== `one more ${deliveries - 1}`)
          throw new Error('the newest email is not last in the listing');
      }
      await session.terminate();
      return { unchanged, afterDelivery };
    } finally {
      await server.stop();
    }
  };
  const sessionLists = await listThroughSession('classic');
  const enhancedLists = await listThroughSession('enhanced');
  await store.close();
  return {
    ...protocol,
    list_100k_emails_store_first_p50_ms: percentile(firstLists, 50),
    list_100k_emails_store_p50_ms: percentile(storeLists, 50),
    list_100k_emails_store_p90_ms: percentile(storeLists, 90),
    list_100k_after_a_delivery_store_p50_ms: percentile(afterDelivery, 50),
    list_100k_emails_session_p50_ms: percentile(sessionLists.unchanged, 50),
    list_100k_after_a_delivery_session_p50_ms: percentile(sessionLists.afterDelivery, 50),
    list_100k_emails_enhanced_session_p50_ms: percentile(enhancedLists.unchanged, 50),
    list_100k_after_a_delivery_enhanced_session_p50_ms: percentile(enhancedLists.afterDelivery, 50),
    read_index_100000_of_100k_p50_ms: percentile(reads, 50),
  };
}
