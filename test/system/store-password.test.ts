/**
 * A --store URL with a password, and no PGPASSWORD anywhere: the server's session processes
 * reach the database with the password handed to them in their own environment (never on
 * their command line), so mail is stored and listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postgresUnavailableReason,
  startThrowawayCluster,
  type PostgresCluster,
} from '../../scripts/lib/postgres-cluster.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailHost, type MailHost } from '../helpers/mail-hosts.js';

const unavailable =
  postgresUnavailableReason() ??
  (process.env.PGPASSWORD === undefined ? undefined : 'PGPASSWORD is set in this environment');

describe.skipIf(unavailable !== undefined)(
  `a PostgreSQL store whose password is in the URL${unavailable ? `: skipped, ${unavailable}` : ''}`,
  () => {
    let cluster: PostgresCluster;
    let keys: { dir: string; cleanup: () => void };
    let host: MailHost;

    beforeAll(async () => {
      cluster = await startThrowawayCluster({ password: 'pass word@1' });
      keys = await makeKeySetup(['client1', 'client2']);
      const url = await cluster.createDatabase('mail');
      expect(new URL(url).password).not.toBe('');
      host = await startMailHost(serverHome(keys.dir), url, ['--spare', '1']);
    }, 120_000);
    afterAll(async () => {
      await host.stop();
      await cluster.destroy();
      keys.cleanup();
    });

    it('serves sessions that store and list mail', async () => {
      const sender = await signIn(host.port, keys.dir, 'client1');
      await sender.send({ to: ['client2'], title: 'through the password', content: 'hello' });
      await sender.terminate();
      const reader = await signIn(host.port, keys.dir, 'client2');
      expect((await reader.listInbox()).rows.map((row) => row.title)).toEqual([
        'through the password',
      ]);
      await reader.terminate();
    });
  },
);
