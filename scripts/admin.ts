#!/usr/bin/env node
/**
 * `npm run admin -- --home DIR <command>`: runs a site without rebuilding it. Users are added,
 * removed and given new passwords in place, and every server running on the home is told to
 * reload (SIGHUP), so nobody else is disturbed and no restart is needed. Passwords are asked
 * for, never taken from the command line.
 */
import { requireSupportedNode, versionLine } from '../common/version.js';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { LineInput } from '../gateway/terminal/line-input.js';
import {
  endQuietlyWhenOutputCloses,
  integerArgument,
  parseCommandLineAsync,
} from '../common/program.js';
import { loggedInSessions } from '../mail-server/run-files.js';
import { backupSite, restoreSite } from './site-backup.js';
import { exportKeyring, issueUserKeys } from './site-keys.js';
import { checkAdminCall } from './site-checks.js';
import {
  DEFAULT_WINDOW_DAYS,
  finishServerKeyWindow,
  rotateServerKey,
  serverKeyStatus,
} from './site-server-key.js';
import { kickUser } from './site-sessions.js';
import { waitReady, type ReadyTarget } from './wait-ready.js';
import {
  addUser,
  defaultBundleDir,
  readUserPass,
  reencryptKey,
  reloadServers,
  removeUser,
  requestUnlock,
  setPassword,
  SiteUsersError,
} from './site-users.js';

requireSupportedNode('sealed-mail-admin');

/** How this was run, for the commands a message suggests. */
const invokedAs =
  basename(process.argv[1] ?? '') === 'sealed-mail-admin'
    ? 'sealed-mail-admin'
    : 'npm run admin --';

const program = new Command(invokedAs)
  .description('Runs a site: users, passwords, locks and reloads, without a restart.')
  .version(versionLine())
  .option('--home <dir>', "the server's home (user_pass.json, the keys, the inboxes)")
  .addHelpText(
    'after',
    `
Each change is written whole (never half a user_pass.json), then every server running on the
home reloads it (SIGHUP): sessions already open go on; the next login uses the new file.`,
  );

// The usual mistakes (wrong --home, running as root, a mistyped name) are refused before a
// command asks anything: scripts/site-checks.ts.
program.hook('preAction', (_program, action) => {
  const parent = action.parent === program ? '' : `${action.parent?.name() ?? ''} `;
  checkAdminCall({
    command: `${parent}${action.name()}`,
    args: action.args,
    options: action.opts(),
    home: program.opts<{ home?: string }>().home,
    program: invokedAs,
  });
});

const input = new LineInput(process.stdin, process.stdout);

async function askPassword(prompt: string): Promise<string> {
  const password = await input.askNewSecret(prompt);
  if (password === undefined)
    throw new SiteUsersError('the two did not match; nothing was changed');
  return password;
}

function home(): string {
  const dir = program.opts<{ home?: string }>().home;
  if (dir === undefined)
    throw new SiteUsersError("this command needs --home DIR, the server's home");
  return dir;
}

/**
 * Tells the running servers and says what each made of it. A server that refused the new file
 * (broken, say) keeps the users it had: the command then fails, so that a script notices.
 */
async function reload(): Promise<void> {
  const results = await reloadServers(home());
  if (results.length === 0) {
    process.stdout.write(
      'No server is running on this home: the change applies when one starts.\n',
    );
    return;
  }
  for (const { kind, pid, report } of results) {
    if (!report) {
      process.stdout.write(
        `The ${kind} server (pid ${pid}) did not answer within 10 s; see its log.\n`,
      );
      process.exitCode = 1;
    } else if (report.ok) {
      process.stdout.write(
        `The ${kind} server (pid ${pid}) reloaded: ${report.users ?? 0} users.\n`,
      );
    } else {
      process.stdout.write(
        `The ${kind} server (pid ${pid}) refused the new file and keeps the users it had: ${report.error ?? ''}\n`,
      );
      process.exitCode = 1;
    }
  }
}

const users = program.command('users').description('list, add or remove users');
users
  .command('list')
  .description('the users of the site')
  .action(() => {
    for (const name of Object.keys(readUserPass(home())).sort()) process.stdout.write(`${name}\n`);
  });
users
  .command('add <name>')
  .description(
    "adds a user (asks the password): their key pair, public key and inbox in the home, and their machine's bundle",
  )
  .option(
    '--bundle <dir>',
    "where to write the user's machine bundle (default: beside the home, DIR/../<name>)",
  )
  .action(async (name: string, options: { bundle?: string }) => {
    const password = await askPassword(`Password for ${name}: `);
    const bundle = options.bundle ?? defaultBundleDir(home(), name);
    await addUser(home(), name, password, bundle);
    process.stdout.write(
      `Added ${name}. Their machine needs ${bundle}/ (their private key, encrypted under that password; server_public.pem; a keyring).\n`,
    );
    await reload();
  });
users
  .command('remove <name>')
  .description("removes a user's password and public key (their inbox folder is kept)")
  .action(async (name: string) => {
    removeUser(home(), name);
    process.stdout.write(`Removed ${name}. Their inbox ${join(home(), name)}/ is kept.\n`);
    await reload();
  });

program
  .command('passwd <name>')
  .description("sets a user's password (asks it); with --key, re-encrypts their private key too")
  .option('--key <file>', "the user's <name>_private.pem to re-encrypt (asks the old password)")
  .action(async (name: string, options: { key?: string }) => {
    const oldPassword =
      options.key === undefined ? undefined : await input.askHidden('Old password: ');
    const password = await askPassword(`New password for ${name}: `);
    if (options.key !== undefined) reencryptKey(options.key, oldPassword ?? '', password);
    setPassword(home(), name, password);
    process.stdout.write(
      options.key === undefined
        ? `Set the password of ${name}. Their private key is still encrypted under the old password, so their machine cannot log in until it is re-encrypted: ${invokedAs} --home ${home()} passwd ${name} --key THEIR_KEY_FILE (asks the old password), or a new key pair and bundle: ${invokedAs} --home ${home()} keys ${name} --force.\n`
        : `Set the password of ${name} and re-encrypted ${options.key}.\n`,
    );
    await reload();
  });

program
  .command('unlock <name>')
  .description("lifts the login throttle's locks on a user, on every server running on the home")
  .action(async (name: string) => {
    if (!Object.hasOwn(readUserPass(home()), name))
      throw new SiteUsersError(`${name} is not a user of ${home()}`);
    requestUnlock(home(), name);
    process.stdout.write(`Asked the running servers to lift the locks on ${name}.\n`);
    await reload();
  });

program
  .command('reload')
  .description('tells every server running on the home to reread user_pass.json')
  .action(async () => {
    await reload();
  });

program
  .command('keys <name>')
  .description(
    "a new key pair for a user (a lost or new machine): asks their password, writes their machine's bundle and replaces their public key in the home",
  )
  .option('--bundle <dir>', 'where to write the bundle (default: beside the home, DIR/../<name>)')
  .option('--force', 'replace the files of a bundle already there', false)
  .action(async (name: string, options: { bundle?: string; force: boolean }) => {
    const password = (await input.askHidden(`${name}'s password on the site: `)) ?? '';
    const bundle = options.bundle ?? defaultBundleDir(home(), name);
    await issueUserKeys(home(), name, password, bundle, options.force);
    process.stdout.write(
      `Wrote ${name}'s bundle to ${bundle}/ (their private key, encrypted under their password; server_public.pem; a keyring). Their old private key no longer works on this site; correspondents who pinned the old public key will be told it changed.\n`,
    );
    await reload();
  });

const serverKey = program
  .command('server-key')
  .description("replaces the server's key pair, the old one accepted for a transition window");
serverKey
  .command('rotate')
  .description(
    'a new server key pair; the old one stays accepted until the window ends (old bundles keep working meanwhile)',
  )
  .option(
    '--window-days <days>',
    'how long the old key stays accepted',
    integerArgument(1),
    DEFAULT_WINDOW_DAYS,
  )
  .option('--force', 'rotate even while the window of a rotation is still open', false)
  .action(async (options: { windowDays: number; force: boolean }) => {
    const done = await rotateServerKey(home(), options);
    process.stdout.write(
      `The server's new key is ${done.newFingerprint}; the old key ${done.oldFingerprint} is still accepted until ${done.until}.
What happens next:
  - The running servers are told to reload (below) and sign with the new key from now on; a server started later reads both keys from the home.
  - Enhanced clients (the terminal client with --protocol enhanced, the web gateway) learn the new key by themselves at their next login and replace their server_public.pem: nothing to do.
  - Classic clients need a new bundle before the window ends: sealed-mail-admin --home ${home()} keys USER for each of them (or copy ${join(home(), 'server_public.pem')} to their machine).
  - After ${done.until} the old key is refused; end the window sooner with: sealed-mail-admin --home ${home()} server-key finish
`,
    );
    await reload();
  });
serverKey
  .command('status')
  .description("the server key's fingerprint, and the previous key's with the end of its window")
  .action(() => {
    const status = serverKeyStatus(home());
    process.stdout.write(`Current server key: ${status.current}\n`);
    const previous = status.previous;
    if (!previous)
      process.stdout.write('No rotation under way: only the current key is accepted.\n');
    else if (previous.open)
      process.stdout.write(
        `Previous server key: ${previous.fingerprint}, accepted until ${previous.until}\n`,
      );
    else
      process.stdout.write(
        `Previous server key: ${previous.fingerprint}, no longer accepted since ${previous.until} (server-key finish removes its files)\n`,
      );
  });
serverKey
  .command('finish')
  .description('ends the window now: only the current key is accepted from here on')
  .action(async () => {
    const ended = finishServerKeyWindow(home());
    if (ended === undefined) {
      process.stdout.write('No rotation under way: nothing to end.\n');
      return;
    }
    process.stdout.write(
      `Ended the window: ${ended} is no longer accepted. Clients still holding it need a new bundle (sealed-mail-admin --home ${home()} keys USER).\n`,
    );
    await reload();
  });

program
  .command('keyring')
  .description("every user's public key, for a client's keyring folder")
  .command('export <dir>')
  .description('writes DIR/<name>_public.pem for every user of the site')
  .option('--force', 'replace keys already in DIR', false)
  .action((dir: string, options: { force: boolean }) => {
    const count = exportKeyring(home(), dir, options.force);
    process.stdout.write(`Wrote ${count} public keys to ${dir}/.\n`);
  });

program
  .command('who')
  .description('the sessions logged in now, on every server running on the home')
  .action(() => {
    const sessions = loggedInSessions(home());
    if (sessions.length === 0) process.stdout.write('Nobody is logged in.\n');
    for (const { user, peer, channel, since, pid } of sessions)
      process.stdout.write(`${user}\t${channel}\t${peer}\tsince ${since}\tpid ${pid}\n`);
  });

program
  .command('kick <name>')
  .description(
    'ends every session of a user now, on every server running on the home (to keep them out, remove the user or change the password first)',
  )
  .action(async (name: string) => {
    const ended = await kickUser(home(), name);
    if (ended === undefined)
      throw new SiteUsersError(`${name} is still logged in after 10 s; see the servers' logs`);
    process.stdout.write(
      ended === 0 ? `${name} is not logged in.\n` : `Ended ${ended} session(s) of ${name}.\n`,
    );
  });

program
  .command('backup <dir>')
  .description('a consistent copy of the site into DIR (new or empty), taken while the servers run')
  .option('--store <url>', 'the PostgreSQL store the servers use (dumped with pg_dump)')
  .action(async (dir: string, options: { store?: string }) => {
    const done = await backupSite(home(), dir, options.store);
    process.stdout.write(
      `Backed up ${done.users} users and ${done.store === 'files' ? `${done.emails} emails (every one read back from the copy)` : 'the PostgreSQL store (pg_dump)'} into ${dir}/: ${done.files} files.\n`,
    );
  });

program
  .command('restore <dir>')
  .description('brings a backup back into --home (which must be new or empty)')
  .option('--store <url>', 'the PostgreSQL database to restore the store into (pg_restore)')
  .option('--force', 'move a non-empty home aside (HOME.before-restore-TIME) first', false)
  .action((dir: string, options: { store?: string; force: boolean }) => {
    const done = restoreSite(dir, home(), { storeUrl: options.store, force: options.force });
    if (done.movedAside)
      process.stdout.write(`Moved the home that was there to ${done.movedAside}.\n`);
    process.stdout.write(
      `Restored ${done.files} files into ${home()}/. Start the servers on it.\n`,
    );
  });

program
  .command('wait-ready')
  .description(
    "waits until a server is ready (its pid file, with --home, --kind and --pid) or a port accepts connections (--tcp); the systemd units' ExecStartPost",
  )
  .option('--kind <kind>', 'the server: classic or enhanced')
  .option('--pid <pid>', "the server's process id", integerArgument(1))
  .option('--tcp <host:port>', 'wait for this address to accept a connection instead')
  .option('--timeout <secs>', 'give up after this long', integerArgument(1), 60)
  .action(async (options: { kind?: string; pid?: number; tcp?: string; timeout: number }) => {
    const target = readyTarget(options);
    const outcome = await waitReady(target, options.timeout * 1000);
    if (outcome === 'ready') return;
    throw new SiteUsersError(
      outcome === 'gone'
        ? 'the server exited before it was ready; see its log (journalctl -u UNIT)'
        : `not ready after ${options.timeout} s; see its log (journalctl -u UNIT)`,
    );
  });

function readyTarget(options: { kind?: string; pid?: number; tcp?: string }): ReadyTarget {
  if (options.tcp !== undefined) {
    const match = /^(.+):(\d{1,5})$/.exec(options.tcp);
    if (!match) throw new SiteUsersError(`--tcp ${options.tcp}: expected HOST:PORT`);
    return { kind: 'tcp', host: match[1] ?? '', port: Number(match[2]) };
  }
  if (options.kind === undefined || options.pid === undefined)
    throw new SiteUsersError('wait-ready needs --tcp HOST:PORT, or --home, --kind and --pid');
  return { kind: 'server', home: home(), channel: options.kind, pid: options.pid };
}

try {
  endQuietlyWhenOutputCloses();
  await parseCommandLineAsync(program, process.argv.slice(2));
} catch (error) {
  if (!(error instanceof SiteUsersError)) throw error;
  process.stderr.write(`admin: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  input.close();
}
