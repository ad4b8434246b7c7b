import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
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
 * inbox folders belong to the mail store (store/maildir-store.ts).
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

/** Loads and checks every key and password file of the home; throws a HOME_FILE ServerError naming the first that is missing or malformed. */
export function loadServerHome(dir: string): ServerHome {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw homeError(dir, 'is not a folder');
  const serverPrivateKey = readKey(join(dir, 'server_private.pem'), parsePrivateKey);
  readKey(join(dir, 'server_public.pem'), parsePublicKey);
  const users = new Map<string, UserAccount>();
  for (const [name, password] of readUserPasswords(join(dir, 'user_pass.json'))) {
    const publicKey = readKey(join(dir, `${name}_public.pem`), parsePublicKey);
    users.set(name, { name, password, publicKey });
  }
  return { dir, serverPrivateKey, users };
}
