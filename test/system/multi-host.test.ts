/**
 * Several mail-server hosts with one home and one PostgreSQL store, as real processes: any
 * host serves any user, what one stores the other lists at once, guesses spread over them
 * count once, and the clients move on to the next host when one does not answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../mail-server/store/postgres-store.js';
import type { Reply } from '../../gateway/messages.js';
import { signIn } from '../helpers/client.js';
import { Browser, gatewayCookie, makeWebRoot, startGatewayProcess } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startTwoHosts, type MailHost } from '../helpers/mail-hosts.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
  until,
} from '../helpers/postgres.js';
import { runNode } from '../helpers/processes.js';
import { join } from 'node:path';

const USERS = ['client1', 'client2', 'client3'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{
  dir: string;
  database: Awaited<ReturnType<typeof freshDatabase>>;
  hosts: [MailHost, MailHost];
}> {
  const keys = await makeKeySetup(USERS);
  cleanups.push(keys.cleanup);
  const database = await freshDatabase();
  cleanups.push(database.drop);
  const hosts = await startTwoHosts(serverHome(keys.dir), database.url);
  cleanups.push(...hosts.map((host) => host.stop));
  return { dir: keys.dir, database, hosts };
}

/** Signs in again and again until the throttle admits the attempt, then signs out. */
async function untilSignedIn(port: number, dir: string, user: string): Promise<void> {
  for (;;) {
    const client = await signIn(port, dir, user).catch(() => undefined);
    if (client) {
      await client.terminate();
      return;
    }
  }
}

/** A port where nothing listens: a host that is down. */
const DOWN = '127.0.0.1:1';

describe.skipIf(postgresUnavailable !== undefined)(
  `several mail-server hosts on one PostgreSQL store${skippedBecause(postgresUnavailable)}`,
  () => {
    it('serves any user on any host: what host A stored, host B lists in the same order', async () => {
      const { dir, hosts } = await setup();
      const [a, b] = hosts;
      const onA = await signIn(a.port, dir, 'client1');
      const onB = await signIn(b.port, dir, 'client3');
      await onA.send({ to: ['client2'], title: 'via host A', content: 'first' });
      await onB.send({ to: ['client2'], title: 'via host B', content: 'second' });
      await Promise.all([onA.terminate(), onB.terminate()]);

      const listings = await Promise.all(
        [a, b].map(async (host) => {
          const client = await signIn(host.port, dir, 'client2');
          const { rows } = await client.listInbox();
          const read = await client.read(2);
          await client.terminate();
          return { rows, second: read.kind === 'email' ? read.email?.content : undefined };
        }),
      );
      expect(listings[0]?.rows.map((row) => row.title)).toEqual(['via host A', 'via host B']);
      expect(listings[1]).toEqual(listings[0]);
      expect(listings[0]?.second).toBe('second');
    });

    it('tells a watcher elsewhere at once when a host stores an email', async () => {
      const { dir, database, hosts } = await setup();
      const watcher = new PostgresStore(database.url, USERS);
      cleanups.push(() => watcher.close());
      // The first call says the watch is live; the next is the delivery.
      let calls = 0;
      const delivered = new Promise<void>((resolve) => {
        const stop = watcher.watch('client2', () => {
          if (++calls < 2) return;
          stop();
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        const stop = watcher.watch('client2', () => {
          stop();
          resolve();
        });
      });
      const client = await signIn(hosts[1].port, dir, 'client1');
      await client.send({ to: ['client2'], title: 'news', content: 'from host B' });
      await delivered;
      await client.terminate();
      expect((await watcher.list('client2')).map((entry) => entry.title)).toEqual(['news']);
    });

    it('counts wrong passwords on both hosts in one book, and a success on either clears it', async () => {
      const { dir, database, hosts } = await setup();
      const [a, b] = hosts;
      const failures = async (): Promise<Record<string, unknown>[]> =>
        (await adminQuery('SELECT key, failures FROM login_failures ORDER BY key', database.name))
          .rows;
      for (const [i, host] of [a, b, a, b].entries()) {
        const failure = await signIn(host.port, dir, 'client2', 'wrong').catch(
          (error: unknown) => error,
        );
        expect((failure as { code?: string }).code).toBe('LOGIN_REJECTED');
        // A failure is recorded just after its answer: the next guess comes once it is.
        await until(failures, (rows) => rows.at(-1)?.failures === i + 1);
      }
      expect(await failures()).toEqual([
        { key: 'a:127.0.0.1', failures: 4 },
        { key: 'u:client2', failures: 4 },
        { key: 'ua:client2@127.0.0.1', failures: 4 },
      ]);
      // The fourth failure locked user@address for a second: the right password waits it out.
      await untilSignedIn(a.port, dir, 'client2');
      await until(failures, (rows) => rows.length === 1);
      expect(await failures()).toEqual([{ key: 'a:127.0.0.1', failures: 4 }]);
    });

    it('the terminal client moves on to the next host and says which it uses', async () => {
      const { dir, hosts } = await setup();
      const result = await runNode(
        'gateway/terminal/main.js',
        ['--server', `${DOWN},127.0.0.1:${hosts[1].port}`],
        { cwd: join(dir, 'client1'), input: 'client1\npassword1\n2\n4\n' },
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        `Using the mail server 127.0.0.1:${hosts[1].port} (no answer from ${DOWN}: cannot reach the mail server at ${DOWN} (connection refused)).`,
      );
      expect(result.stdout).toContain('Your inbox is empty.');
    });

    it('the gateway signs in on the next host when the first does not answer', async () => {
      const { dir, hosts } = await setup();
      const web = makeWebRoot();
      cleanups.push(web.cleanup);
      const gateway = await startGatewayProcess([
        '--keys',
        dir,
        '--web-root',
        web.dir,
        '--server',
        `${DOWN},127.0.0.1:${hosts[0].port}`,
      ]);
      cleanups.push(gateway.stop);
      const browser = await Browser.open(
        gateway.base,
        await gatewayCookie(gateway.base, gateway.token),
      );
      cleanups.push(() => browser.close());
      const signedIn = (await browser.signIn('client2')) as Extract<Reply, { type: 'signedIn' }>;
      expect(signedIn.type).toBe('signedIn');
      expect(signedIn.server).toBe(`127.0.0.1:${hosts[0].port}`);
    });
  },
);
