/**
 * The PostgreSQL store: the contract every store passes, then what only a shared database
 * gives: all-or-none delivery, the Maildir store's bytes, one order and prompt news for
 * every host, and a clear error when the database is gone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServerError } from '../../mail-server/errors.js';
import { MAX_SEND_RECORDS, type IncomingEmail } from '../../mail-server/store/mail-store.js';
import { SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { PostgresStore } from '../../mail-server/store/postgres-store.js';
import { newSendId } from '../../protocol/operations/send-id.js';
import { codePointLength } from '../../protocol/text.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
} from '../helpers/postgres.js';
import { CONTRACT_USERS, storeContract } from './store-contract.js';

const users = [...CONTRACT_USERS];

function incoming(title: string, receivedAt: string, content = `body of ${title}`): IncomingEmail {
  return {
    email: { from: 'client1', to: ['client2', 'client3'], title, content },
    contentLength: codePointLength(content),
    receivedAt,
  };
}

/** Resolves at the listener's next call. */
function nextChange(
  store: PostgresStore,
  user: string,
): { changed: Promise<void>; stop: () => void } {
  let stop: () => void = () => undefined;
  const changed = new Promise<void>((resolve) => {
    stop = store.watch(user, resolve);
  });
  return { changed, stop };
}

/**
 * A TCP proxy to the database of `url` that loses the answer to the first statement holding
 * `marker`: the statement reaches the database and commits (its ReadyForQuery comes back),
 * and then the connection is cut instead of the answer passed on. Later connections are
 * passed through untouched.
 */
async function losingFirstAnswer(
  url: string,
  marker: string,
): Promise<{ url: string; lost: Promise<void>; close: () => void }> {
  const target = new URL(url);
  const database = { host: target.hostname, port: Number(target.port) };
  let armed = true;
  let markLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(database);
    sockets.add(client).add(upstream);
    let holding = false;
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(marker)) {
        armed = false;
        holding = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) {
        client.write(chunk);
        return;
      }
      // ReadyForQuery ('Z', length 5) follows the statement's implicit commit.
      if (chunk.includes(Buffer.from('Z\0\0\0\x05', 'latin1'))) {
        client.destroy();
        upstream.destroy();
        markLost();
      }
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.hostname = '127.0.0.1';
  target.port = String((server.address() as AddressInfo).port);
  return {
    url: target.toString(),
    lost,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe.skipIf(postgresUnavailable !== undefined)(
  `PostgreSQL store${skippedBecause(postgresUnavailable)}`,
  () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    beforeAll(async () => {
      database = await freshDatabase({ migrated: true });
    });
    afterAll(async () => {
      await database.drop();
    });

    storeContract('PostgreSQL', () =>
      Promise.resolve({
        store: new PostgresStore(database.url, users),
        cleanup: () =>
          adminQuery('TRUNCATE emails, inbox_versions, sends', database.name).then(() => undefined),
      }),
    );

    const withStores =
      (test: (a: PostgresStore, b: PostgresStore) => Promise<void>): (() => Promise<void>) =>
      async () => {
        // Two stores on one database: what two hosts have.
        const a = new PostgresStore(database.url, users);
        const b = new PostgresStore(database.url, users);
        try {
          await test(a, b);
        } finally {
          await Promise.all([a.close(), b.close()]);
          await adminQuery('TRUNCATE emails, inbox_versions, sends', database.name);
        }
      };

    it(
      'stores in every inbox or in none: a copy that fails undoes the others',
      withStores(async (store) => {
        await adminQuery(
          `CREATE FUNCTION refuse_client3() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.owner = 'client3' THEN RAISE EXCEPTION 'inbox of client3 is full'; END IF;
             RETURN NEW; END $$;
           CREATE TRIGGER refuse_client3 BEFORE INSERT ON emails
             FOR EACH ROW EXECUTE FUNCTION refuse_client3();`,
          database.name,
        );
        try {
          const outcomes = await store.deliver(incoming('all or none', '2024-05-01 10:00:00'), [
            'client2',
            'client3',
          ]);
          expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed']);
          expect(outcomes[0]?.status === 'failed' && outcomes[0].reason).toContain(
            'client3 is full',
          );
          expect(await store.list('client2')).toEqual([]);
        } finally {
          await adminQuery(
            'DROP TRIGGER refuse_client3 ON emails; DROP FUNCTION refuse_client3();',
            database.name,
          );
        }
      }),
    );

    it(
      'keeps the bytes the Maildir store writes, whatever the title and content hold',
      withStores(async (store) => {
        const home = mkdtempSync(join(tmpdir(), 'sealed-mail-bytes-'));
        try {
          const maildir = new SeedFilesStore(home, users);
          const odd = incoming(
            'NUL \u0000 and a written \\0, back\\slash, tab \t, bidi \u202e, emoji 😀',
            '2024-05-01 10:00:00.000001',
            'CR\r\nLF\nNUL\u0000 and é😀\n'.repeat(1000),
          );
          await maildir.deliver(odd, ['client2']);
          await store.deliver(odd, ['client2']);
          const file = readdirSync(join(home, 'client2')).find((name) => name.endsWith('.txt'));
          const fileBytes = readFileSync(join(home, 'client2', file ?? ''));
          const { rows } = await adminQuery(`SELECT body FROM emails`, database.name);
          expect(Buffer.compare((rows[0] as { body: Buffer }).body, fileBytes)).toBe(0);
          expect(await store.read('client2', { index: 1 })).toBe(
            await maildir.read('client2', { index: 1 }),
          );
          const [fromPostgres] = await store.list('client2');
          const [fromMaildir] = await maildir.list('client2');
          expect({ ...fromPostgres, id: '' }).toEqual({ ...fromMaildir, id: '' });
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      }),
    );

    it(
      'gives every host the same listing, in receive order, with the same ids',
      withStores(async (a, b) => {
        await a.deliver(incoming('b at noon', '2024-05-01 12:00:00'), ['client2']);
        await b.deliver(incoming('a at nine', '2024-05-01 09:00:00'), ['client2']);
        await b.deliver(incoming('b at noon too', '2024-05-01 12:00:00'), ['client2']);
        await a.deliver(incoming('a at ten', '2024-05-01 10:00:00.5'), ['client2']);
        const onA = await a.list('client2');
        expect(onA.map((entry) => entry.title)).toEqual([
          'a at nine',
          'a at ten',
          'b at noon',
          'b at noon too',
        ]);
        expect(await b.list('client2')).toEqual(onA);
        for (const [i, entry] of onA.entries()) {
          expect(await b.read('client2', { id: entry.id })).toBe(
            await a.read('client2', { index: i + 1 }),
          );
        }
      }),
    );

    it(
      'keeps each host’s cached listing exact through deliveries, removals and clocks out of order on the other',
      withStores(async (a, b) => {
        const fresh = async (): Promise<unknown> => {
          const c = new PostgresStore(database.url, users);
          try {
            return await c.list('client2');
          } finally {
            await c.close();
          }
        };
        const titles = async (store: PostgresStore): Promise<string[]> =>
          (await store.list('client2')).map((entry) => entry.title);
        await b.deliver(incoming('one', '2024-05-01 10:00:00'), ['client2']);
        expect(await titles(a)).toEqual(['one']);
        const first = await a.list('client2');
        // Unchanged: the same listing, not read again.
        expect(await a.list('client2')).toBe(first);
        await b.deliver(incoming('two', '2024-05-01 11:00:00'), ['client2']);
        await b.deliver(incoming('before one', '2024-05-01 09:00:00'), ['client2']);
        expect(await titles(a)).toEqual(['before one', 'one', 'two']);
        expect(first.map((entry) => entry.title)).toEqual(['one']);
        expect(await a.list('client2')).toEqual(await fresh());
        const [early] = await b.list('client2');
        expect(await b.remove('client2', early?.id ?? '')).toBe(true);
        await b.deliver(incoming('three', '2024-05-01 12:00:00'), ['client2']);
        expect(await titles(a)).toEqual(['one', 'two', 'three']);
        expect(await a.list('client2')).toEqual(await fresh());
        // Sixty deliveries from both hosts at once, listed on both between them.
        await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const host = i % 2 === 0 ? a : b;
            const second = String(59 - i).padStart(2, '0');
            await host.deliver(incoming(`burst ${i}`, `2024-05-01 13:00:${second}`), ['client2']);
            await (i % 3 === 0 ? b : a).list('client2');
          }),
        );
        const settled = await fresh();
        expect(await a.list('client2')).toEqual(settled);
        expect(await b.list('client2')).toEqual(settled);
        expect(await a.list('client2')).toHaveLength(63);
      }),
    );

    it(
      'counts the quota from the inbox row, exactly, and gives back what a removal frees',
      withStores(async (a, b) => {
        const size = Buffer.byteLength(
          await (async () => {
            await a.deliver(incoming('measure', '2024-05-01 10:00:00'), ['client3']);
            return (await a.read('client3', { index: 1 })) ?? '';
          })(),
        );
        const limits = { maxInboxBytes: 3 * size };
        // Two hosts at once, four deliveries of the same size: exactly two more fit.
        const outcomes = await Promise.all(
          ['w', 'x', 'y', 'z'].map((title, i) =>
            (i % 2 === 0 ? a : b).deliver(
              incoming(title.repeat(7), '2024-05-01 10:00:00'),
              ['client3'],
              limits,
            ),
          ),
        );
        expect(outcomes.flat().filter((outcome) => outcome.status === 'delivered')).toHaveLength(2);
        const [oldest] = await b.list('client3');
        expect(await b.remove('client3', oldest?.id ?? '')).toBe(true);
        const [again] = await a.deliver(
          incoming('vvvvvvv', '2024-05-01 10:00:00'),
          ['client3'],
          limits,
        );
        expect(again?.status).toBe('delivered');
        const { rows } = await adminQuery(
          `SELECT bytes::int AS bytes, (SELECT sum(octet_length(body))::int FROM emails
                                         WHERE owner = 'client3') AS actual
             FROM inbox_versions WHERE owner = 'client3'`,
          database.name,
        );
        expect(rows[0]).toEqual({ bytes: 3 * size, actual: 3 * size });
      }),
    );

    it(
      'tells a watcher on one host at once of a delivery or a removal by another',
      withStores(async (a, b) => {
        // The first call says the watch is live (anything may have changed before it).
        const ready = nextChange(a, 'client3');
        await ready.changed;
        ready.stop();
        const delivered = nextChange(a, 'client3');
        await b.deliver(incoming('from host b', '2024-05-01 10:00:00'), ['client3']);
        await delivered.changed;
        delivered.stop();
        const [entry] = await a.list('client3');
        const removed = nextChange(a, 'client3');
        expect(await b.remove('client3', entry?.id ?? '')).toBe(true);
        await removed.changed;
        removed.stop();
        expect(await a.list('client3')).toEqual([]);
      }),
    );

    it(
      'never gives a removed email’s id to another',
      withStores(async (store) => {
        const [first] = await store.deliver(incoming('one', '2024-05-01 10:00:00'), ['client2']);
        const firstId = first?.status === 'delivered' ? first.id : '';
        expect(await store.remove('client2', firstId)).toBe(true);
        const [second] = await store.deliver(incoming('one', '2024-05-01 10:00:00'), ['client2']);
        expect(second).toMatchObject({ status: 'delivered' });
        expect(second?.status === 'delivered' && second.id).not.toBe(firstId);
        expect(await store.read('client2', { id: firstId })).toBeUndefined();
        expect(await store.read('client2', { id: '99999999999999999999' })).toBeUndefined();
        expect(await store.remove('client2', '-1')).toBe(false);
      }),
    );

    it(
      'keeps a sender’s newest send ids: the delivery’s statement deletes those beyond the bound',
      withStores(async (store) => {
        // The bound's worth of older rows of client1, and one of another sender.
        await adminQuery(
          `INSERT INTO sends (sender, send_id, delivery, named, known, delivered)
           SELECT 'client1', 'old' || n, gen_random_uuid(), '{}', '{}', '{}'
             FROM generate_series(1, ${MAX_SEND_RECORDS}) AS n;
           INSERT INTO sends (sender, send_id, delivery, named, known, delivered)
           VALUES ('client2', 'old1', gen_random_uuid(), '{}', '{}', '{}')`,
          database.name,
        );
        const once = await store.deliverOnce(
          incoming('newest', '2024-05-01 10:00:00'),
          ['client2'],
          {},
          { sender: 'client1', sendId: newSendId(), named: ['client2'] },
        );
        expect(once.replayed).toBe(false);
        const { rows } = await adminQuery(
          `SELECT sender, count(*)::int AS kept, bool_or(send_id = 'old1') AS oldest
             FROM sends GROUP BY sender ORDER BY sender`,
          database.name,
        );
        expect(rows).toEqual([
          { sender: 'client1', kept: MAX_SEND_RECORDS, oldest: false },
          { sender: 'client2', kept: 1, oldest: true },
        ]);
      }),
    );
    for (const once of [false, true])
      it(`stores a ${once ? 'send with an id' : 'delivery'} once when the answer to its commit is lost and the work is tried again`, async () => {
        const proxy = await losingFirstAnswer(database.url, 'INSERT INTO inbox_versions');
        const store = new PostgresStore(proxy.url, users, { maxConnections: 1, waitMs: 30_000 });
        try {
          const email = incoming('sent once', '2024-05-01 10:00:00');
          const outcomes = once
            ? (
                await store.deliverOnce(
                  email,
                  ['client2', 'client3'],
                  {},
                  {
                    sender: 'client1',
                    sendId: newSendId(),
                    named: ['client2', 'client3'],
                  },
                )
              ).outcomes
            : await store.deliver(email, ['client2', 'client3']);
          await proxy.lost;
          expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
          const { rows } = await adminQuery(
            'SELECT owner, count(*)::int AS copies FROM emails GROUP BY owner ORDER BY owner',
            database.name,
          );
          expect(rows).toEqual([
            { owner: 'client2', copies: 1 },
            { owner: 'client3', copies: 1 },
          ]);
          const { rows: versions } = await adminQuery(
            'SELECT owner, version::int FROM inbox_versions ORDER BY owner',
            database.name,
          );
          expect(versions).toEqual([
            { owner: 'client2', version: 1 },
            { owner: 'client3', version: 1 },
          ]);
        } finally {
          proxy.close();
          await store.close();
          await adminQuery('TRUNCATE emails, inbox_versions, sends', database.name);
        }
      });
  },
);

describe('PostgreSQL store with no database to reach', () => {
  // A port nothing listens on: connections are refused at once.
  const url = 'postgres://nobody@127.0.0.1:1/none';

  it('fails a listing with an error that names the database, after its wait', async () => {
    const store = new PostgresStore(url, users, { maxConnections: 1, waitMs: 200 });
    try {
      const failure = await store.list('client2').catch((error: unknown) => error);
      expect(isServerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
      expect((failure as Error).message).toMatch(
        /\(PostgreSQL nobody@127\.0\.0\.1:1\/none\) did not answer within 200 ms/,
      );
    } finally {
      await store.close();
    }
  });

  it('reports a delivery as failed for every recipient, with the reason', async () => {
    const store = new PostgresStore(url, users, { maxConnections: 1, waitMs: 200 });
    try {
      const outcomes = await store.deliver(incoming('lost', '2024-05-01 10:00:00'), [
        'client2',
        'client3',
      ]);
      expect(outcomes.map((outcome) => [outcome.recipient, outcome.status])).toEqual([
        ['client2', 'failed'],
        ['client3', 'failed'],
      ]);
      for (const outcome of outcomes)
        expect(outcome.status === 'failed' && outcome.reason).toMatch(/did not answer/);
    } finally {
      await store.close();
    }
  });
});
