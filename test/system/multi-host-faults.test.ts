/**
 * Faults of a site of several mail-server hosts on one PostgreSQL store, against real
 * processes: a host killed in the middle of an email, two hosts delivering to one inbox at
 * once, and the database restarted under load.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ServerChoice } from '../../gateway/protocol-client/server-list.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { PostgresStore } from '../../mail-server/store/postgres-store.js';
import { parseStoredEmail, receivedTimeSortKey } from '../../protocol/email.js';
import { isProtocolError } from '../../protocol/errors.js';
import { startThrowawayCluster } from '../../scripts/lib/postgres-cluster.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { startTwoHosts, type MailHost } from '../helpers/mail-hosts.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
} from '../helpers/postgres.js';

const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function keySetup(): Promise<string> {
  const keys = await makeKeySetup(USERS);
  cleanups.push(keys.cleanup);
  return keys.dir;
}

async function hostsOn(dir: string, store: string): Promise<[MailHost, MailHost]> {
  const hosts = await startTwoHosts(serverHome(dir), store);
  cleanups.push(...hosts.map((host) => host.stop));
  return hosts;
}

const MILLION = 'Sealed mail, é and 😀 too.\n'.repeat(40_000).slice(0, 1_000_000);
const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A session of `user` on the first of `servers` (HOST:PORT,...) that answers. */
function sessionOn(
  servers: string,
  dir: string,
  user: string,
  onServer?: (choice: ServerChoice) => void,
): Promise<MailClient> {
  return openSession({
    host: servers,
    port: 0,
    credentials: { username: user, password: `password${user.slice(-1)}` },
    keys: setupKeys(dir, user),
    replyTimeoutMs: 60_000,
    ...(onServer ? { onServer } : {}),
  });
}

/**
 * A TCP proxy to `port` that forwards the first `limit` bytes a client sends and holds back
 * the rest; `held` resolves once it holds some. When the server side closes, so does the client's.
 */
async function holdingProxy(
  port: number,
  limit: number,
): Promise<{ port: number; held: Promise<void>; server: Server }> {
  let hold: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    hold = resolve;
  });
  const server = createServer((client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port });
    let forwarded = 0;
    client.on('data', (chunk: Buffer) => {
      const room = Math.max(0, limit - forwarded);
      if (room > 0) upstream.write(chunk.subarray(0, room));
      forwarded += Math.min(room, chunk.length);
      if (chunk.length > room) hold();
    });
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, held, server };
}

/** Every email of an inbox, read through a store: title and content digest, in listing order. */
async function inbox(
  store: PostgresStore,
  user: string,
): Promise<{ title: string; digest: string }[]> {
  const entries = await store.list(user);
  return Promise.all(
    entries.map(async (entry) => {
      const email = parseStoredEmail((await store.read(user, { id: entry.id })) ?? '');
      return { title: email.title, digest: digest(email.content) };
    }),
  );
}

describe.skipIf(postgresUnavailable !== undefined)(
  `faults of several hosts on one PostgreSQL store${skippedBecause(postgresUnavailable)}`,
  () => {
    it('kill -9 of a host halfway through a 1,000,000-character email: nothing stored, the other host serves on, the client reconnects to it', async () => {
      const dir = await keySetup();
      const database = await freshDatabase();
      cleanups.push(database.drop);
      const [a, b] = await hostsOn(dir, database.url);
      const bystander = await signIn(b.port, dir, 'client3');
      const proxy = await holdingProxy(a.port, 500_000);
      const servers = `127.0.0.1:${proxy.port},127.0.0.1:${b.port}`;
      const choices: ServerChoice[] = [];
      const client = await sessionOn(servers, dir, 'client1', (choice) => choices.push(choice));
      expect(choices[0]?.server.port).toBe(proxy.port);

      const sending = client.send({ to: ['client2'], title: 'million', content: MILLION });
      await proxy.held;
      await a.kill();
      const failure = await sending.catch((error: unknown) => error);
      expect(isProtocolError(failure)).toBe(true);
      client.destroy();

      const stored = (): Promise<number> =>
        adminQuery(
          "SELECT count(*)::int AS n FROM emails WHERE title = 'million'",
          database.name,
        ).then(({ rows }) => Number(rows[0]?.n));
      expect(await stored()).toBe(0);

      // The other host's session goes on.
      await bystander.send({ to: ['client2'], title: 'still here', content: 'host B serves' });
      expect((await bystander.listInbox()).rows).toEqual([]);
      await bystander.terminate();

      // The client's next session finds host A gone and uses host B.
      const again = await sessionOn(servers, dir, 'client1', (choice) => choices.push(choice));
      expect(choices[1]?.server.port).toBe(b.port);
      expect(choices[1]?.passedOver.map((each) => each.server.port)).toEqual([proxy.port]);
      await again.send({ to: ['client2'], title: 'million', content: MILLION });
      await again.terminate();
      expect(await stored()).toBe(1);

      const reader = await signIn(b.port, dir, 'client2');
      const { rows } = await reader.listInbox();
      expect(rows.map((row) => row.title)).toEqual(['still here', 'million']);
      const read = await reader.read(2);
      expect(read.kind === 'email' && read.email?.content === MILLION).toBe(true);
      await reader.terminate();
    });

    it('two hosts delivering to one inbox at once: every email exactly once, the same order on both', async () => {
      const dir = await keySetup();
      const database = await freshDatabase();
      cleanups.push(database.drop);
      const [a, b] = await hostsOn(dir, database.url);
      const senders = ['client1', 'client3', 'client4', 'client5'];
      const sent: string[] = [];
      await Promise.all(
        [a, b].flatMap((host, h) =>
          senders.map(async (user) => {
            const client = await signIn(host.port, dir, user);
            for (let i = 0; i < 6; i++) {
              const title = `${user} on host ${h} #${i}`;
              await client.send({ to: ['client2'], title, content: `body of ${title}` });
              sent.push(title);
            }
            await client.terminate();
          }),
        ),
      );

      const listings = await Promise.all(
        [a, b].map(async (host) => {
          const client = await signIn(host.port, dir, 'client2');
          const { rows } = await client.listInbox();
          const contents: (string | undefined)[] = [];
          for (const row of rows) {
            const read = await client.read(row.index);
            contents.push(read.kind === 'email' ? read.email?.content : undefined);
          }
          await client.terminate();
          return { rows, contents };
        }),
      );
      const [onA, onB] = listings;
      expect(onB).toEqual(onA);
      const titles = onA?.rows.map((row) => row.title) ?? [];
      expect([...titles].sort()).toEqual([...sent].sort());
      expect(onA?.contents).toEqual(titles.map((title) => `body of ${title}`));
      const times = onA?.rows.map((row) => receivedTimeSortKey(row.receivedAt)) ?? [];
      expect(times).toEqual([...times].sort());
    });

    it('the database restarted under load: sessions wait and resume, no email twice or half, both hosts serve on', async () => {
      const cluster = await startThrowawayCluster();
      cleanups.push(() => cluster.destroy());
      const url = await cluster.createDatabase('mail');
      const dir = await keySetup();
      const [a, b] = await hostsOn(dir, url);
      const hostLists = [
        `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
        `127.0.0.1:${b.port},127.0.0.1:${a.port}`,
      ];

      const completed: { recipient: string; title: string; digest: string }[] = [];
      const errors: string[] = [];
      let restart: Promise<void> | undefined;
      let restarted = false;
      let sentAfterRestart = 0;
      const restartAfter = 6;
      const worker = async (id: number): Promise<void> => {
        const user = USERS[id % USERS.length] ?? 'client1';
        const recipient = USERS[(id + 1) % USERS.length] ?? 'client2';
        for (let round = 0; round < 6; round++) {
          let client: MailClient | undefined;
          try {
            client = await sessionOn(hostLists[id % 2] ?? '', dir, user);
            const title = `load ${id}-${round}`;
            const content = `${title}\n${'x'.repeat((id * 7919 + round * 104729) % 20_000)}`;
            await client.send({ to: [recipient], title, content });
            completed.push({ recipient, title, digest: digest(content) });
            if (restarted) sentAfterRestart++;
            if (completed.length === restartAfter)
              restart = cluster
                .stop('immediate')
                .then(() => cluster.start())
                .then(() => {
                  restarted = true;
                });
            await client.listInbox();
            await client.read(1);
            await client.terminate();
          } catch (error) {
            client?.destroy();
            errors.push(`client ${id} round ${round}: ${(error as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, (_, id) => worker(id)));
      await restart;

      expect(errors).toEqual([]);
      expect(sentAfterRestart).toBeGreaterThan(0);
      for (const host of [a, b]) {
        expect(host.process.child.exitCode).toBeNull();
        const client = await signIn(host.port, dir, 'client1');
        await client.listInbox();
        await client.terminate();
      }
      const store = new PostgresStore(url, USERS);
      cleanups.push(() => store.close());
      const stored = new Map<string, { title: string; digest: string }[]>();
      for (const user of USERS) stored.set(user, await inbox(store, user));
      for (const email of completed) {
        const copies = (stored.get(email.recipient) ?? []).filter(
          (each) => each.title === email.title,
        );
        expect(copies).toEqual([{ title: email.title, digest: email.digest }]);
      }
      const total = [...stored.values()].reduce((sum, emails) => sum + emails.length, 0);
      expect(total).toBe(completed.length);
    });
  },
);
