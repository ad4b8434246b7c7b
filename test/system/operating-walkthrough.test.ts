/**
 * README's "Operating a site", its admin commands in the order an administrator runs them, on a
 * running site with a user logged in, and the mistakes an administrator makes on the way: each
 * refused before anything is asked or written, with one line that says what to do.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { freshDatabase, postgresUnavailable, skippedBecause } from '../helpers/postgres.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

let keys: { dir: string; cleanup: () => void };
let scratch: string;
let server: RunningServer | undefined;

const admin = (args: string[], input = '', home = serverHome(keys.dir)) =>
  runNode('scripts/admin.js', ['--home', home, ...args], { input });

beforeEach(async () => {
  keys = await makeKeySetup();
  scratch = mkdtempSync(join(tmpdir(), 'sealed-mail-walk-'));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  keys.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe("README's Operating a site, command by command", () => {
  it('adds a user while another is logged in, changes a password, reissues keys, kicks, backs up', async () => {
    const home = serverHome(keys.dir);
    const serverKey = readFileSync(join(home, 'server_public.pem'), 'utf8');
    server = await startMailServer(home);
    const client1 = await signIn(server.port, keys.dir, 'client1');

    // users add: the running server takes carol; client1 goes on; the server key stays.
    const added = await admin(['users', 'add', 'carol'], 'CarolPw-2026\n');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Their machine needs ${join(keys.dir, 'carol')}/`);
    expect(added.stdout).toMatch(/The classic server \(pid \d+\) reloaded: 6 users\./);
    expect(readFileSync(join(home, 'server_public.pem'), 'utf8')).toBe(serverKey);
    expect((await client1.listInbox()).rows).toEqual([]);
    const carol = await signIn(server.port, keys.dir, 'carol', 'CarolPw-2026');
    await carol.send({ to: ['client1'], title: 'Hello', content: 'from carol' });
    await carol.terminate();
    expect((await client1.listInbox()).rows).toHaveLength(1);

    // passwd without --key: the server takes the new password, and the message says how to
    // bring carol's machine along; keys --force gives her a bundle under the new one.
    const changed = await admin(['passwd', 'carol'], 'CarolNew-77\n');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('passwd carol --key THEIR_KEY_FILE');
    expect(changed.stdout).toContain('keys carol --force');
    expect(changed.stdout).not.toContain('on their machine');
    const reissued = await admin(['keys', 'carol', '--force'], 'CarolNew-77\n');
    expect(reissued.stderr).toBe('');
    expect(reissued.code).toBe(0);
    const carolAgain = await signIn(server.port, keys.dir, 'carol', 'CarolNew-77');
    expect((await carolAgain.listInbox()).rows).toEqual([]);

    // who and kick, then backup into a new folder and refusal of one that holds something.
    expect((await admin(['who'])).stdout).toMatch(/^carol\tclassic\t/m);
    expect((await admin(['kick', 'carol'])).stdout).toBe('Ended 1 session(s) of carol.\n');
    const backupDir = join(scratch, 'backup');
    const backup = await admin(['backup', backupDir]);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/^Backed up 6 users and 1 emails/);
    const again = await admin(['backup', backupDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `admin: ${backupDir} is not empty: a backup goes into a new or empty folder`,
    );
    const overRunning = await admin(['restore', backupDir, '--force']);
    expect(overRunning.code).toBe(1);
    expect(overRunning.stderr).toMatch(/^admin: servers run on .* \(pids? \d+\): stop them first$/);
    await client1.terminate();
  });

  it('refuses the usual mistakes before asking anything, each with what to do', async () => {
    const home = serverHome(keys.dir);
    const before = readFileSync(join(home, 'user_pass.json'), 'utf8');

    // --home one folder too high (keygen's DIR rather than DIR/server).
    const tooHigh = await admin(['users', 'list'], '', keys.dir);
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stderr).toBe(
      `admin: ${keys.dir} is not a server's home, but ${home} is: run npm run admin -- --home ${home} …`,
    );
    // A home that is none at all.
    const nowhere = await admin(['users', 'list'], '', join(scratch, 'nothing'));
    expect(nowhere.stderr).toContain('is missing: is');

    // A mistyped name: refused before the password prompt, for every command that takes one.
    for (const args of [
      ['passwd', 'clent1'],
      ['keys', 'clent1'],
      ['unlock', 'clent1'],
      ['users', 'remove', 'clent1'],
    ]) {
      const typo = await admin(args, 'whatever\n');
      expect(typo.code, args.join(' ')).toBe(1);
      expect(typo.stdout, args.join(' ')).toBe('');
      expect(typo.stderr).toBe(`admin: clent1 is not a user of ${home} (users list shows them)`);
    }
    const kickTypo = await admin(['kick', 'clent1']);
    expect(kickTypo.code).toBe(1);
    expect(kickTypo.stderr).toBe(
      `admin: clent1 is not a user of ${home} and is not logged in (users list and who show them)`,
    );
    // users add of a name already there, or one that looks like it: refused before the prompt.
    for (const [name, message] of [
      ['client1', `admin: client1 is already a user of ${home}`],
      [
        'cIient1',
        'admin: "cIient1" looks like "client1", already a user: readers could not tell them apart; choose another name',
      ],
    ] as const) {
      const taken = await admin(['users', 'add', name], 'pw\n');
      expect(taken.code).toBe(1);
      expect(taken.stdout).toBe('');
      expect(taken.stderr).toBe(message);
    }
    expect(readFileSync(join(home, 'user_pass.json'), 'utf8')).toBe(before);

    // A bundle folder that holds the user's key already: keys without --force, and users add of
    // a user removed before (which has no --force) each say their own way out, before the prompt.
    const keysAgain = await admin(['keys', 'client2'], 'password2\n');
    expect(keysAgain.code).toBe(1);
    expect(keysAgain.stdout).toBe('');
    expect(keysAgain.stderr).toBe(
      `admin: ${join(keys.dir, 'client2', 'client2_private.pem')} already exists (client2's present bundle): add --force to replace it, or --bundle DIR to write the new one elsewhere`,
    );
    expect((await admin(['users', 'remove', 'client5'])).code).toBe(0);
    const readd = await admin(['users', 'add', 'client5'], 'pw\n');
    expect(readd.code).toBe(1);
    expect(readd.stdout).toBe('');
    expect(readd.stderr).toBe(
      `admin: ${join(keys.dir, 'client5', 'client5_private.pem')} already exists (an earlier bundle of client5): move that folder away, or write the new bundle elsewhere with --bundle DIR`,
    );
  });

  it('installed as sealed-mail-admin, a usage error names that program, not npm run admin', async () => {
    const link = join(scratch, 'sealed-mail-admin');
    symlinkSync(distPath('scripts/admin.js'), link);
    const installed = new Spawned('node', [link, '--home', serverHome(keys.dir), 'kick']);
    expect((await installed.exited).code).toBe(2);
    expect(installed.stderrLines).toContain('(sealed-mail-admin --help for the usage)');
    const fromClone = await admin(['kick']);
    expect(fromClone.stderr).toContain('(npm run admin -- --help for the usage)');
  });

  it.skipIf(process.getuid?.() !== 0)(
    "run as root on a home of the service's user: refused, nothing written, and told to use sudo -u",
    async () => {
      const home = serverHome(keys.dir);
      const before = readFileSync(join(home, 'user_pass.json'), 'utf8');
      chownSync(home, 65534, 65534);
      try {
        const asRoot = await admin(['users', 'add', 'dave'], 'DavePw-1\n');
        expect(asRoot.code).toBe(1);
        expect(asRoot.stdout).toBe('');
        expect(asRoot.stderr).toMatch(
          new RegExp(
            `^admin: ${home} belongs to \\S+, and this runs as root: .* sudo -u \\S+ npm run admin -- --home ${home} users add …$`,
          ),
        );
        expect(readFileSync(join(home, 'user_pass.json'), 'utf8')).toBe(before);
        // A restore as root under a folder of another user is refused the same way.
        const parent = join(scratch, 'service');
        mkdirSync(parent);
        chownSync(parent, 65534, 65534);
        const restore = await admin(
          ['restore', join(scratch, 'no-backup')],
          '',
          join(parent, 'server'),
        );
        expect(restore.stderr).toMatch(new RegExp(`^admin: ${parent} belongs to `));
      } finally {
        chownSync(home, 0, 0);
      }
    },
  );
});

describe.skipIf(postgresUnavailable !== undefined)(
  `backup of a site on PostgreSQL${skippedBecause(postgresUnavailable)}`,
  () => {
    it('without --store, refused while a server keeps the mail in PostgreSQL; with it, done', async () => {
      const database = await freshDatabase();
      try {
        server = await startMailServer(serverHome(keys.dir), ['--store', database.url]);
        const forgot = await admin(['backup', join(scratch, 'b1')]);
        expect(forgot.code).toBe(1);
        expect(forgot.stderr).toMatch(
          /^admin: the classic server \(pid \d+\) keeps the mail in PostgreSQL \(--store postgres:\/\/\S+\): without --store the backup would hold no mail; add --store with that URL \(the password in PGPASSWORD\)$/,
        );
        const done = await admin(['backup', join(scratch, 'b2'), '--store', database.url]);
        expect(done.stderr).toBe('');
        expect(done.stdout).toContain('the PostgreSQL store (pg_dump)');
      } finally {
        await server?.stop();
        server = undefined;
        await database.drop();
      }
    });
  },
);
