import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKey } from '../protocol/crypto.js';
import { parsePasswordRecord, type PasswordRecord } from './passwords.js';

/** Usernames name folders and files: keep them to characters that cannot escape a folder. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface UserAccount {
  name: string;
  password: PasswordRecord;
  publicKey: KeyObject;
  inbox: string;
}

/** The server's home (B.3–B.5): its key pair, the users, their public keys and inbox folders. */
export interface ServerHome {
  dir: string;
  serverPrivateKey: KeyObject;
  users: ReadonlyMap<string, UserAccount>;
}

/** A problem with one file of the home; the message names the file. */
export class HomeError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'HomeError';
    this.file = file;
  }
}

function readRequired(file: string): string {
  if (!existsSync(file)) throw new HomeError(file, 'missing');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new HomeError(file, `cannot be read (${(error as Error).message})`);
  }
}

function readUserPasswords(file: string): Map<string, PasswordRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRequired(file));
  } catch (error) {
    if (error instanceof HomeError) throw error;
    throw new HomeError(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HomeError(file, 'must be a JSON object of {"username": "password"}');
  }
  const users = new Map<string, PasswordRecord>();
  for (const [name, value] of Object.entries(parsed)) {
    if (!USERNAME_PATTERN.test(name)) {
      throw new HomeError(
        file,
        `"${name}" is not a valid username (letters, digits, ".", "_", "-")`,
      );
    }
    if (typeof value !== 'string')
      throw new HomeError(file, `the password of "${name}" is not a string`);
    try {
      users.set(name, parsePasswordRecord(value));
    } catch (error) {
      throw new HomeError(file, `the password of "${name}": ${(error as Error).message}`);
    }
  }
  if (users.size === 0) throw new HomeError(file, 'lists no user');
  return users;
}

/** Reads a PEM key file; any problem becomes a HomeError naming the file. */
function readKey(file: string, parse: (pem: string, source: string) => KeyObject): KeyObject {
  const pem = readRequired(file);
  try {
    return parse(pem, file);
  } catch (error) {
    throw new HomeError(file, (error as Error).message);
  }
}

/**
 * Loads and checks every file of the home, creating missing inbox folders.
 * Throws HomeError naming the first file that is missing or malformed.
 */
export function loadServerHome(dir: string): ServerHome {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new HomeError(dir, 'is not a folder');
  const serverPrivateKey = readKey(join(dir, 'server_private.pem'), parsePrivateKey);
  readKey(join(dir, 'server_public.pem'), parsePublicKey);
  const users = new Map<string, UserAccount>();
  for (const [name, password] of readUserPasswords(join(dir, 'user_pass.json'))) {
    const publicKey = readKey(join(dir, `${name}_public.pem`), parsePublicKey);
    const inbox = join(dir, name);
    if (existsSync(inbox) && !statSync(inbox).isDirectory()) {
      throw new HomeError(inbox, 'exists but is not a folder');
    }
    mkdirSync(inbox, { recursive: true, mode: 0o700 });
    users.set(name, { name, password, publicKey, inbox });
  }
  return { dir, serverPrivateKey, users };
}
