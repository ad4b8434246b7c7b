import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parsePublicKey } from '../protocol/crypto.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';
import type { PreviousServerKey } from '../protocol/login.js';
import { ServerError } from './errors.js';
import {
  homeError,
  readKey,
  readRequired,
  requireClosedFolder,
  requirePrivateMode,
} from './home-files.js';
import { parsePasswordRecord, type PasswordRecord } from './passwords.js';
import { readServerKeys, type ServerKeys } from './server-keys.js';

export interface UserAccount {
  name: string;
  password: PasswordRecord;
  publicKey: KeyObject;
}

/**
 * The server's home (B.3–B.5): its key pair, the users and their public keys. The users'
 * inbox folders belong to the mail store (store/seed-files-store.ts).
 */
export interface ServerHome {
  dir: string;
  /** Replaced by a reload after `admin server-key rotate`. */
  serverPrivateKey: KeyObject;
  /** During a rotation's window: the key replaced (server-keys.ts); its end is checked at each use. */
  previousServerKey: PreviousServerKey | undefined;
  users: ReadonlyMap<string, UserAccount>;
}

function readUserPasswords(file: string): Map<string, PasswordRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRequired(file));
  } catch (error) {
    if (error instanceof ServerError) throw error;
    throw homeError(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw homeError(file, 'must be a JSON object of {"username": "password"}');
  }
  const users = new Map<string, PasswordRecord>();
  for (const [name, value] of Object.entries(parsed)) {
    if (!USERNAME_PATTERN.test(name)) {
      throw homeError(file, `"${name}" is not a valid username (letters, digits, ".", "_", "-")`);
    }
    if (typeof value !== 'string')
      throw homeError(file, `the password of "${name}" is not a string`);
    try {
      users.set(name, parsePasswordRecord(value));
    } catch (error) {
      throw homeError(file, `the password of "${name}": ${(error as Error).message}`);
    }
  }
  if (users.size === 0) throw homeError(file, 'lists no user');
  return users;
}

/** Loads and checks every key and password file of the home; throws a HOME_FILE ServerError naming the first that is missing or malformed. */
export function loadServerHome(dir: string): ServerHome {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw homeError(dir, 'is not a folder');
  const keys = readServerKeys(dir);
  requireClosedFolder(dir);
  const users = readUsers(dir);
  const home = {
    dir,
    serverPrivateKey: keys.current,
    previousServerKey: keys.previous,
    users,
  };
  mutableUsers.set(home, users);
  return home;
}

/** user_pass.json and each user's public key, all checked; throws a HOME_FILE ServerError. */
function readUsers(dir: string): Map<string, UserAccount> {
  const passwordFile = join(dir, 'user_pass.json');
  const users = new Map<string, UserAccount>();
  const passwords = readUserPasswords(passwordFile);
  requirePrivateMode(passwordFile);
  for (const [name, password] of passwords) {
    const publicKey = readKey(join(dir, `${name}_public.pem`), parsePublicKey);
    users.set(name, { name, password, publicKey });
  }
  return users;
}

/** The maps behind each home's users, which only a reload changes. */
const mutableUsers = new WeakMap<ServerHome, Map<string, UserAccount>>();

/** What a reload changed. */
export interface UsersReloaded {
  added: string[];
  removed: string[];
  /** Users whose password or public key changed. */
  changed: string[];
}

/**
 * Rereads user_pass.json and the users' public keys into the home, in place, so that every part
 * of the process (logins, deliveries, the store's inboxes) sees the new users at once. A file
 * that is broken changes nothing: the HOME_FILE ServerError names it, and the old users stay.
 */
export function reloadUsers(home: ServerHome): UsersReloaded {
  const users = mutableUsers.get(home);
  if (!users) throw new Error('this home was not loaded by loadServerHome');
  const next = readUsers(home.dir);
  const same = (a: UserAccount, b: UserAccount): boolean =>
    a.publicKey.equals(b.publicKey) && JSON.stringify(a.password) === JSON.stringify(b.password);
  const changes: UsersReloaded = {
    added: [...next.keys()].filter((name) => !users.has(name)),
    removed: [...users.keys()].filter((name) => !next.has(name)),
    changed: [...next].flatMap(([name, account]) => {
      const before = users.get(name);
      return before && !same(before, account) ? [name] : [];
    }),
  };
  users.clear();
  for (const [name, account] of next) users.set(name, account);
  return changes;
}

/** What a reload of the server's keys found. */
export interface KeysReloaded {
  /** Whether the current key is another than before. */
  replaced: boolean;
  /** The end of the window in which the replaced key is accepted, when one is open. */
  previousUntil: string | undefined;
}

/**
 * Puts keys read by server-keys.ts `readServerKeys` (after `admin server-key rotate` or
 * `finish`) in the home: read first, applied after every other file of the reload was read, so
 * that a broken file changes nothing.
 */
export function applyServerKeys(home: ServerHome, keys: ServerKeys): KeysReloaded {
  const replaced = !keys.current.equals(home.serverPrivateKey);
  home.serverPrivateKey = keys.current;
  home.previousServerKey = keys.previous;
  return {
    replaced,
    previousUntil:
      keys.previous === undefined ? undefined : new Date(keys.previous.untilMs).toISOString(),
  };
}

/** Rereads the users and the server's keys; a broken file changes nothing (HOME_FILE ServerError). */
export function reloadHome(home: ServerHome): { users: UsersReloaded; keys: KeysReloaded } {
  const keys = readServerKeys(home.dir);
  const users = reloadUsers(home);
  return { users, keys: applyServerKeys(home, keys) };
}
