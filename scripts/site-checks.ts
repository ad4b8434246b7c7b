/**
 * What `admin` checks before a command does anything (before it asks a password): the mistakes
 * an administrator makes on a lab host, each refused with one line saying what to do.
 *
 * - `--home` names the folder above the home (keygen's `DIR` rather than `DIR/server`);
 * - the command runs as root (forgot `sudo -u sealed-mail`) on a home that belongs to the
 *   service's user: files it wrote would be root's, and the servers could not read them;
 * - a user name that is not there (a typo), or already there, for a command that needs one;
 * - a bundle folder that already holds the user's private key (`users add` of a user removed
 *   before, `keys` without `--force`);
 * - `backup` without `--store` while the servers keep the mail in PostgreSQL: a copy with no mail.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loggedInSessions, runningServers } from '../mail-server/run-files.js';
import {
  defaultBundleDir,
  readUserPass,
  requireNewName,
  requireUser,
  SiteUsersError,
} from './site-users.js';
import { USER_PASS } from './user-pass.js';

/** A command as `admin` names it (`users add`, `passwd`), its arguments and options. */
export interface AdminCall {
  command: string;
  args: readonly string[];
  options: Record<string, unknown>;
  home: string | undefined;
  /** How the command was invoked, for the lines it suggests (`sealed-mail-admin`). */
  program: string;
}

/** Commands that write into the home (restore makes it). */
const WRITES = new Set([
  'users add',
  'users remove',
  'passwd',
  'unlock',
  'keys',
  'restore',
  'server-key rotate',
  'server-key finish',
]);
/** Commands that take the name of an existing user. */
const NAMES_A_USER = new Set(['users remove', 'passwd', 'unlock', 'keys']);

export function checkAdminCall(call: AdminCall): void {
  const { command, home } = call;
  if (home === undefined || command === 'wait-ready') return;
  if (command !== 'restore') requireAHome(home, call.program);
  if (WRITES.has(command)) requireOwner(command === 'restore' ? nearestFolder(home) : home, call);
  const name = call.args[0] ?? '';
  if (command === 'users add') requireNewName(home, readUserPass(home), name);
  if (NAMES_A_USER.has(command)) requireUser(home, readUserPass(home), name);
  if (command === 'users add' || command === 'keys') requireFreeBundle(home, name, call.options);
  if (command === 'kick') requireKnownOrLoggedIn(home, name);
  if (command === 'backup' && call.options.store === undefined) requireFileStore(home);
}

/** `--home DIR` where DIR/server is the home (keygen's layout): say so rather than "missing". */
function requireAHome(home: string, program: string): void {
  if (existsSync(join(home, USER_PASS))) return;
  if (existsSync(join(home, 'server', USER_PASS)))
    throw new SiteUsersError(
      `${home} is not a server's home, but ${join(home, 'server')} is: run ${program} --home ${join(home, 'server')} …`,
    );
}

function nearestFolder(path: string): string {
  let folder = resolve(path);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/** The name of a local user id, from /etc/passwd; the id itself when not found. */
function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid) && name) return name;
    }
  } catch {
    // No /etc/passwd: the id will do.
  }
  return `uid ${uid}`;
}

function requireOwner(folder: string, call: AdminCall): void {
  const uid = process.getuid?.();
  if (uid === undefined || !existsSync(folder)) return;
  const owner = statSync(folder).uid;
  if (owner === uid) return;
  const name = userName(owner);
  throw new SiteUsersError(
    `${folder} belongs to ${name}, and this runs as ${userName(uid)}: files it would write there would be theirs, and the servers could not read them; run it as ${name}: sudo -u ${name} ${call.program} --home ${call.home ?? ''} ${call.command} …`,
  );
}

/** Said before the password is asked, with the way out that this command has. */
function requireFreeBundle(home: string, name: string, options: Record<string, unknown>): void {
  if (options.force === true) return;
  const bundle = typeof options.bundle === 'string' ? options.bundle : defaultBundleDir(home, name);
  const key = join(bundle, `${name}_private.pem`);
  if (!existsSync(key)) return;
  throw new SiteUsersError(
    options.force === false
      ? `${key} already exists (${name}'s present bundle): add --force to replace it, or --bundle DIR to write the new one elsewhere`
      : `${key} already exists (an earlier bundle of ${name}): move that folder away, or write the new bundle elsewhere with --bundle DIR`,
  );
}

function requireKnownOrLoggedIn(home: string, name: string): void {
  if (Object.hasOwn(readUserPass(home), name)) return;
  if (loggedInSessions(home).some((session) => session.user === name)) return;
  throw new SiteUsersError(
    `${name} is not a user of ${home} and is not logged in (users list and who show them)`,
  );
}

/** The --store URL a running server was started with, from its command line (Linux /proc). */
function storeOfServer(pid: number): string | undefined {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  for (const [index, arg] of args.entries()) {
    const value = arg === '--store' ? args[index + 1] : arg.replace(/^--store=/, '');
    if (value !== undefined && /^postgres(ql)?:\/\//.test(value)) return value;
  }
  return undefined;
}

function requireFileStore(home: string): void {
  for (const { kind, pid } of runningServers(home)) {
    const store = storeOfServer(pid);
    if (store !== undefined)
      throw new SiteUsersError(
        `the ${kind} server (pid ${pid}) keeps the mail in PostgreSQL (--store ${store.replace(/:[^:@/]*@/, '@')}): without --store the backup would hold no mail; add --store with that URL (the password in PGPASSWORD)`,
      );
  }
}
