import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKey } from '../protocol/crypto.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';
import { ServerError } from './errors.js';
import { parsePasswordRecord, type PasswordRecord } from './passwords.js';

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
  serverPrivateKey: KeyObject;
  users: ReadonlyMap<string, UserAccount>;
}

/** A problem with one file of the home; the message names the file. */
const homeError = (file: string, problem: string): ServerError =>
  new ServerError('HOME_FILE', `${file}: ${problem}`);

function readRequired(file: string): string {
  if (!existsSync(file)) throw homeError(file, 'missing');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw homeError(file, `cannot be read (${(error as Error).message})`);
  }
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

/** Reads a PEM key file; any problem becomes a HomeError naming the file. */
function readKey(file: string, parse: (pem: string, source: string) => KeyObject): KeyObject {
  const pem = readRequired(file);
  try {
    return parse(pem, file);
  } catch (error) {
    throw homeError(file, (error as Error).message);
  }
}

/**
 * Refuses a secret file that other users can read (the server's private key, the passwords), as
 * OpenSSH refuses such a key: one line, with what to run.
 */
function requirePrivateMode(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw homeError(
      file,
      `can be read by other users (mode ${octal(mode)}); run: chmod 600 ${file}`,
    );
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** A home that others can write into lets them swap any key or inbox: refused. */
function requireClosedFolder(dir: string): void {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o022) !== 0)
    throw homeError(
      dir,
      `can be written by other users (mode ${octal(mode)}), who could replace its keys; run: chmod go-w ${dir}`,
    );
}

/** Loads and checks every key and password file of the home; throws a HOME_FILE ServerError naming the first that is missing or malformed. */
export function loadServerHome(dir: string): ServerHome {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw homeError(dir, 'is not a folder');
  const privateFile = join(dir, 'server_private.pem');
  const publicFile = join(dir, 'server_public.pem');
  const serverPrivateKey = readKey(privateFile, parsePrivateKey);
  const serverPublicKey = readKey(publicFile, parsePublicKey);
  requireClosedFolder(dir);
  requirePrivateMode(privateFile);
  if (!createPublicKey(serverPrivateKey).equals(serverPublicKey))
    throw homeError(
      publicFile,
      `does not match server_private.pem, so clients holding it cannot log in; write the matching one: openssl pkey -in ${privateFile} -pubout -out ${publicFile}`,
    );
  const users = readUsers(dir);
  const home = { dir, serverPrivateKey, users };
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
