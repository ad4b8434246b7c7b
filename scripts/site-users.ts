/**
 * The users of a site's home (the server's folder): user_pass.json and each user's public key
 * and inbox, changed in place, never rebuilding the site. What a new user's machine needs (their
 * key pair, the server's public key, a keyring) is written as a bundle beside the home, as keygen
 * lays it out (`DIR/server/` and `DIR/<user>/`).
 */
import { createPrivateKey } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  appendWhole,
  readRegularFile,
  removeFileDurably,
  writeFileSafely,
} from '../common/safe-files.js';
import { encryptPrivateKey } from '../gateway/protocol-client/key-at-rest.js';
import { hashPassword, parsePasswordRecord } from '../mail-server/passwords.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';
import { lookalikeOf } from '../protocol/skeleton.js';
import { newUserBundle, siteKeyring, writeFiles } from './site-keys.js';
import { readUserPass, SiteUsersError, USER_PASS } from './user-pass.js';

export { readUserPass, SiteUsersError };
import {
  readReloadReport,
  runFolder,
  runningServers,
  type ReloadReport,
} from '../mail-server/run-files.js';

/** Replaces user_pass.json whole (0600), so that a reading server never sees half of it. */
function writeUserPass(home: string, records: Record<string, string>): void {
  writeFileSafely(home, USER_PASS, `${JSON.stringify(records, null, 2)}\n`, {
    mode: 0o600,
    place: 'replace',
  });
}

/** The site stores hashes when any user's record is one: a new password is stored the same way. */
const usesHashes = (records: Record<string, string>): boolean =>
  Object.values(records).some((record) => record.startsWith('scrypt$'));

function recordFor(records: Record<string, string>, password: string): string {
  const record = usesHashes(records) ? hashPassword(password) : password;
  parsePasswordRecord(record);
  return record;
}

export function requireNewName(home: string, records: Record<string, string>, name: string): void {
  if (!USERNAME_PATTERN.test(name) || name === 'server')
    throw new SiteUsersError(
      `"${name}" is not a valid username (letters, digits, ".", "_", "-"; not "server")`,
    );
  if (Object.hasOwn(records, name))
    throw new SiteUsersError(`${name} is already a user of ${home}`);
  const other = lookalikeOf(name, Object.keys(records));
  if (other !== undefined)
    throw new SiteUsersError(
      `"${name}" looks like "${other}", already a user: readers could not tell them apart; choose another name`,
    );
}

export function requireUser(home: string, records: Record<string, string>, name: string): void {
  if (!Object.hasOwn(records, name))
    throw new SiteUsersError(`${name} is not a user of ${home} (users list shows them)`);
}

/** Where a user's machine bundle goes by default: beside the home, as keygen lays it out. */
export const defaultBundleDir = (home: string, name: string): string => join(dirname(home), name);

function ensureFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/**
 * Adds a user to a running site: a key pair, `<name>_public.pem` and an inbox folder in the
 * home, and the bundle for their machine in `bundleDir` (their private key encrypted under
 * their password, their public key, the server's public key, and a keyring of every user's
 * public key); user_pass.json last, so that a failure leaves no password without a key.
 */
export async function addUser(
  home: string,
  name: string,
  password: string,
  bundleDir: string,
): Promise<void> {
  const records = readUserPass(home);
  requireNewName(home, records, name);
  if (password === '') throw new SiteUsersError('a password is needed');
  const record = recordFor(records, password);
  const { publicPem, files } = await newUserBundle(home, name, password, siteKeyring(home));
  ensureFolder(bundleDir);
  writeFiles(bundleDir, files, false);
  writeFileSafely(home, `${name}_public.pem`, publicPem, { mode: 0o644, place: 'new' });
  ensureFolder(join(home, name));
  writeUserPass(home, { ...records, [name]: record });
}

/**
 * Removes a user from the site: their password and public key. Their inbox folder is kept (it
 * is their mail): remove it by hand once it is no longer wanted.
 */
export function removeUser(home: string, name: string): void {
  const records = readUserPass(home);
  requireUser(home, records, name);
  const rest = Object.fromEntries(Object.entries(records).filter(([user]) => user !== name));
  if (Object.keys(rest).length === 0)
    throw new SiteUsersError(`${name} is the only user of ${home}; a site needs one`);
  writeUserPass(home, rest);
  removeFileDurably(home, `${name}_public.pem`);
}

/** Sets a user's password (hashed when the site stores hashes). */
export function setPassword(home: string, name: string, password: string): void {
  const records = readUserPass(home);
  requireUser(home, records, name);
  if (password === '') throw new SiteUsersError('a password is needed');
  writeUserPass(home, { ...records, [name]: recordFor(records, password) });
}

/** Re-encrypts a user's private key file under a new password (after a password change). */
export function reencryptKey(file: string, oldPassword: string, newPassword: string): void {
  const pem = readRegularFile(file, 64 * 1024);
  if (!pem) throw new SiteUsersError(`${file} is not a regular file`);
  let key;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase: oldPassword });
  } catch {
    throw new SiteUsersError(`the old password does not unlock ${file}; nothing was changed`);
  }
  writeFileSafely(dirname(file), basename(file), encryptPrivateKey(key, newPassword), {
    mode: 0o600,
    place: 'replace',
  });
}

/** What one server said of the reload it was asked for. */
export interface ServerReload {
  kind: string;
  pid: number;
  /** Undefined when it did not answer within the wait. */
  report?: ReloadReport;
}

const RELOAD_WAIT_MS = 10_000;
const RELOAD_POLL_MS = 50;

/**
 * Tells every server running on this home to reload (SIGHUP) and waits (up to 10 s) for each to
 * report how it went, so that the administrator knows whether the change took.
 */
export async function reloadServers(home: string): Promise<ServerReload[]> {
  const asked = runningServers(home).map((server) => ({
    ...server,
    before: readReloadReport(home, server.kind, server.pid).count,
  }));
  for (const { pid } of asked) {
    try {
      process.kill(pid, 'SIGHUP');
    } catch {
      // Gone since it was listed: it will read the new file when it starts again.
    }
  }
  const deadline = Date.now() + RELOAD_WAIT_MS;
  const results: ServerReload[] = [];
  for (const { kind, pid, before } of asked) {
    for (;;) {
      const report = readReloadReport(home, kind, pid);
      if (report.count > before) {
        results.push({ kind, pid, report });
        break;
      }
      if (Date.now() >= deadline) {
        results.push({ kind, pid });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, RELOAD_POLL_MS));
    }
  }
  return results;
}

/** Asks every running server to lift the throttle's locks on a user at its next reload. */
export function requestUnlock(home: string, name: string): void {
  for (const { pid } of runningServers(home))
    appendWhole(join(runFolder(home), `unlock-${pid}`), `${name}\n`, {
      mode: 0o600,
      durable: true,
    });
}
