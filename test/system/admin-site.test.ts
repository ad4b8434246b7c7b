/**
 * `admin backup`, `restore`, `who`, `keys`, `keyring export` and `wait-ready` against real
 * server processes: a running site with mail in it backed up, its home destroyed and brought
 * back, every email read and every user logged in again.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { freshDatabase, postgresUnavailable, skippedBecause } from '../helpers/postgres.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'];

let keys: { dir: string; cleanup: () => void };
let scratch: string;
let server: RunningServer | undefined;

const admin = (args: string[], input = '') =>
  runNode('scripts/admin.js', ['--home', serverHome(keys.dir), ...args], { input });

/** Every email of a user's inbox, as the client reads it, in listing order. */
async function readAll(client: MailClient): Promise<string[]> {
  const listing = await client.listInbox();
  const emails: string[] = [];
  for (let index = 1; index <= listing.rows.length; index++)
    emails.push(JSON.stringify(await client.read(index)));
  return emails;
}

async function everyInbox(port: number): Promise<Map<string, string[]>> {
  const inboxes = new Map<string, string[]>();
  for (const user of USERS) {
    const client = await signIn(port, keys.dir, user);
    inboxes.set(user, await readAll(client));
    await client.terminate();
  }
  return inboxes;
}

beforeEach(async () => {
  keys = await makeKeySetup();
  scratch = mkdtempSync(join(tmpdir(), 'sealed-mail-admin-'));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  keys.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('admin backup and restore', () => {
  it('backs up a running site with mail in it; after the home is destroyed and restored, every email reads and every login works', async () => {
    const home = serverHome(keys.dir);
    server = await startMailServer(home);
    for (const [i, from] of USERS.entries()) {
      const client = await signIn(server.port, keys.dir, from);
      const to = USERS[(i + 1) % USERS.length] ?? 'client1';
      await client.send({ to: [to, 'client1'], title: `From ${from}`, content: `Body ${i}` });
      await client.send({ to: [to], title: `Again ${from}`, content: 'é'.repeat(2000) });
      await client.terminate();
    }
    const before = await everyInbox(server.port);
    const total = [...before.values()].reduce((sum, inbox) => sum + inbox.length, 0);
    expect(before.get('client1')?.length).toBeGreaterThan(4);

    // client3 stays logged in through the backup: who lists them, and the copy is still whole.
    const client3 = await signIn(server.port, keys.dir, 'client3');
    const who = await admin(['who']);
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/^client3\tclassic\t127\.0\.0\.1:\d+\tsince \S+\tpid \d+$/m);
    const backupDir = join(scratch, 'backup');
    const backup = await admin(['backup', backupDir]);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`Backed up 5 users and ${total} emails`);
    expect(existsSync(join(backupDir, 'home', '.run'))).toBe(false);
    await client3.terminate();

    // A backup is never written over another.
    const again = await admin(['backup', backupDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');

    await server.stop();
    server = undefined;
    rmSync(home, { recursive: true, force: true });

    const restored = await admin(['restore', backupDir]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(statSync(join(home, 'server_private.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'user_pass.json')).mode & 0o777).toBe(0o600);

    server = await startMailServer(home);
    expect(await everyInbox(server.port)).toEqual(before);

    // Restoring onto a home in use is refused, and with --force while its server runs too.
    const over = await admin(['restore', backupDir]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain('is not empty');
    const forced = await admin(['restore', backupDir, '--force']);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/servers run on .*stop them first/);
  });

  it('refuses a backup whose files changed since it was made, writing nothing', async () => {
    const home = serverHome(keys.dir);
    server = await startMailServer(home);
    const backupDir = join(scratch, 'backup');
    expect((await admin(['backup', backupDir])).code).toBe(0);
    await server.stop();
    server = undefined;
    rmSync(home, { recursive: true, force: true });
    const passwords = join(backupDir, 'home', 'user_pass.json');
    rmSync(passwords);
    const restored = await admin(['restore', backupDir]);
    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('the backup lacks home/user_pass.json');
    expect(existsSync(home)).toBe(false);
  });
});

describe.skipIf(postgresUnavailable !== undefined)(
  `admin backup and restore with a PostgreSQL store${skippedBecause(postgresUnavailable)}`,
  () => {
    it('dumps the store with pg_dump and restores it into another database: every email reads', async () => {
      const home = serverHome(keys.dir);
      const first = await freshDatabase();
      const second = await freshDatabase();
      try {
        server = await startMailServer(home, ['--store', first.url]);
        const sender = await signIn(server.port, keys.dir, 'client2');
        await sender.send({ to: ['client1', 'client3'], title: 'Kept', content: 'In the dump.' });
        await sender.terminate();
        const before = await everyInbox(server.port);
        const backupDir = join(scratch, 'backup');
        const backup = await admin(['backup', backupDir, '--store', first.url]);
        expect(backup.stderr).toBe('');
        expect(backup.code).toBe(0);
        expect(backup.stdout).toContain('the PostgreSQL store (pg_dump)');
        await server.stop();
        server = undefined;
        rmSync(home, { recursive: true, force: true });

        const withoutStore = await admin(['restore', backupDir]);
        expect(withoutStore.code).toBe(1);
        expect(withoutStore.stderr).toContain(
          'name the database to restore it into with --store URL',
        );
        const restored = await admin(['restore', backupDir, '--store', second.url]);
        expect(restored.stderr).toBe('');
        expect(restored.code).toBe(0);
        server = await startMailServer(home, ['--store', second.url]);
        expect(await everyInbox(server.port)).toEqual(before);
        expect(before.get('client3')).toHaveLength(1);
      } finally {
        await server?.stop();
        server = undefined;
        await first.drop();
        await second.drop();
      }
    });
  },
);

describe('admin keys, keyring export and wait-ready', () => {
  it("writes a new bundle for a user's new machine: the new key logs in, with their password only", async () => {
    const home = serverHome(keys.dir);
    server = await startMailServer(home);
    const bundle = join(scratch, 'client3-laptop');
    const wrong = await admin(['keys', 'client3', '--bundle', bundle], 'not-it\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("that is not client3's password on the site");
    expect(existsSync(bundle)).toBe(false);

    const made = await admin(['keys', 'client3', '--bundle', bundle], 'password3\n');
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/reloaded: 5 users\./);
    expect(readdirSync(join(bundle, 'keyring')).sort()).toEqual(
      USERS.map((user) => `${user}_public.pem`),
    );
    expect(readFileSync(join(bundle, 'server_public.pem'), 'utf8')).toBe(
      readFileSync(join(home, 'server_public.pem'), 'utf8'),
    );
    const client = await openSession({
      host: '127.0.0.1',
      port: server.port,
      credentials: { username: 'client3', password: 'password3' },
      keys: loadClientKeys(bundle, 'client3', { passphrase: 'password3' }),
      replyTimeoutMs: 20_000,
    });
    await client.terminate();

    const exported = join(scratch, 'keyring');
    const keyring = await admin(['keyring', 'export', exported]);
    expect(keyring.code).toBe(0);
    expect(keyring.stdout).toContain('Wrote 5 public keys');
    expect(readFileSync(join(exported, 'client3_public.pem'), 'utf8')).toBe(
      readFileSync(join(home, 'client3_public.pem'), 'utf8'),
    );
  });

  it("who lists the sessions logged in; kick ends a user's, leaving the others", async () => {
    server = await startMailServer(serverHome(keys.dir));
    const client1 = await signIn(server.port, keys.dir, 'client1');
    const client2 = await signIn(server.port, keys.dir, 'client2');
    const who = await admin(['who']);
    expect(
      who.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t')[0])
        .sort(),
    ).toEqual(['client1', 'client2']);

    const kicked = await admin(['kick', 'client1']);
    expect(kicked.stderr).toBe('');
    expect(kicked.code).toBe(0);
    expect(kicked.stdout).toBe('Ended 1 session(s) of client1.\n');
    await expect(client1.listInbox()).rejects.toThrow();
    expect((await client2.listInbox()).rows).toEqual([]);
    const after = await admin(['who']);
    expect(after.stdout).not.toMatch(/^client1\t/m);
    expect(after.stdout).toMatch(/^client2\t/m);
    await client2.terminate();
    expect((await admin(['kick', 'client1'])).stdout).toBe('client1 is not logged in.\n');
  });

  it('wait-ready: ready for a listening server, a failure for a closed port', async () => {
    server = await startMailServer(serverHome(keys.dir));
    const pid = String(server.process.child.pid);
    const ready = await admin(['wait-ready', '--kind', 'classic', '--pid', pid, '--timeout', '5']);
    expect(ready.code).toBe(0);
    const tcp = await admin(['wait-ready', '--tcp', `127.0.0.1:${server.port}`]);
    expect(tcp.code).toBe(0);
    await server.stop();
    server = undefined;
    const closed = await admin(['wait-ready', '--tcp', '127.0.0.1:1', '--timeout', '1']);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('not ready after 1 s');
  });
});
