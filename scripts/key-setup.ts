import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateRsaKeyPair } from '../protocol/crypto.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';
import { hashPassword } from '../mail-server/passwords.js';

export const DEFAULT_USERS = ['client1', 'client2', 'client3', 'client4', 'client5'] as const;

export interface KeySetupOptions {
  out: string;
  users: readonly string[];
  /** One per user; the demo default is the sample's password1, password2, ... */
  passwords?: readonly string[];
  /** Store scrypt hashes in user_pass.json instead of the plain passwords. */
  hash?: boolean;
  force?: boolean;
}

/** The sample's demo password for the n-th user (1-based): password1, password2, ... */
export const demoPassword = (index: number): string => `password${index}`;

export class KeySetupError extends Error {}

async function writePrivate(file: string, pem: string): Promise<void> {
  await writeFile(file, pem, { mode: 0o600 });
  await chmod(file, 0o600);
}

async function hasKeys(folder: string): Promise<boolean> {
  if (!existsSync(folder)) return false;
  return (await readdir(folder)).some((name) => name.endsWith('.pem'));
}

/**
 * Writes `out/server/` (the server's home: its key pair, every user's public key,
 * user_pass.json and the inbox folders) and `out/<user>/` (what that user's machine needs:
 * its key pair and server_public.pem). Returns the passwords it set, by user.
 */
export async function writeKeySetup(options: KeySetupOptions): Promise<Map<string, string>> {
  const { out, users } = options;
  if (users.length === 0) throw new KeySetupError('at least one user is needed');
  for (const user of users) {
    if (!USERNAME_PATTERN.test(user) || user === 'server') {
      throw new KeySetupError(
        `"${user}" is not a valid username (letters, digits, ".", "_", "-"; not "server")`,
      );
    }
  }
  if (new Set(users).size !== users.length) throw new KeySetupError('a username is listed twice');
  if (options.passwords && options.passwords.length !== users.length) {
    throw new KeySetupError(
      `${options.passwords.length} passwords given for ${users.length} users`,
    );
  }
  const serverHome = join(out, 'server');
  if (!options.force) {
    for (const folder of [serverHome, ...users.map((user) => join(out, user))]) {
      if (await hasKeys(folder)) {
        throw new KeySetupError(`${folder} already holds keys; use --force to replace them`);
      }
    }
  }
  const pairs = await Promise.all([generateRsaKeyPair(), ...users.map(() => generateRsaKeyPair())]);
  const [serverPair, ...userPairs] = pairs;

  await mkdir(serverHome, { recursive: true, mode: 0o700 });
  await writePrivate(join(serverHome, 'server_private.pem'), serverPair.privatePem);
  await writeFile(join(serverHome, 'server_public.pem'), serverPair.publicPem);

  const passwords = new Map<string, string>();
  const userPass: Record<string, string> = {};
  for (const [i, user] of users.entries()) {
    const pair = userPairs[i];
    if (!pair) throw new Error('missing key pair');
    const password = options.passwords?.[i] ?? demoPassword(i + 1);
    passwords.set(user, password);
    userPass[user] = options.hash ? hashPassword(password) : password;
    await writeFile(join(serverHome, `${user}_public.pem`), pair.publicPem);
    await mkdir(join(serverHome, user), { recursive: true, mode: 0o700 });

    const machine = join(out, user);
    await mkdir(machine, { recursive: true, mode: 0o700 });
    await writePrivate(join(machine, `${user}_private.pem`), pair.privatePem);
    await writeFile(join(machine, `${user}_public.pem`), pair.publicPem);
    await writeFile(join(machine, 'server_public.pem'), serverPair.publicPem);
  }
  const passFile = join(serverHome, 'user_pass.json');
  await writeFile(passFile, `${JSON.stringify(userPass, null, 2)}\n`, { mode: 0o600 });
  await chmod(passFile, 0o600);
  return passwords;
}
