#!/usr/bin/env node
/**
 * `npm run admin -- --home DIR <command>`: runs a site without rebuilding it. Users are added,
 * removed and given new passwords in place, and every server running on the home is told to
 * reload (SIGHUP), so nobody else is disturbed and no restart is needed. Passwords are asked
 * for, never taken from the command line.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { LineInput } from '../gateway/terminal/line-input.js';
import { parseCommandLineAsync } from '../common/program.js';
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

const program = new Command('npm run admin --')
  .description('Runs a site: users, passwords, locks and reloads, without a restart.')
  .requiredOption('--home <dir>', "the server's home (user_pass.json, the keys, the inboxes)")
  .addHelpText(
    'after',
    `
Each change is written whole (never half a user_pass.json), then every server running on the
home reloads it (SIGHUP): sessions already open go on; the next login uses the new file.`,
  );

const input = new LineInput(process.stdin, process.stdout);

async function askPassword(prompt: string): Promise<string> {
  const password = await input.askNewSecret(prompt);
  if (password === undefined)
    throw new SiteUsersError('the two did not match; nothing was changed');
  return password;
}

function home(): string {
  return program.opts<{ home: string }>().home;
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
        ? `Set the password of ${name}. Their private key is still encrypted under the old one: run npm run admin -- --home ${home()} passwd ${name} --key FILE on their machine's key, or npm run encrypt-key on a plain copy.\n`
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

try {
  await parseCommandLineAsync(program, process.argv.slice(2));
} catch (error) {
  if (!(error instanceof SiteUsersError)) throw error;
  process.stderr.write(`admin: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  input.close();
}
