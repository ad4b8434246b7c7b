import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRegularFile } from '../../common/safe-files.js';
import { parsePublicKey } from '../../protocol/crypto.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { ClientKeys } from '../../protocol/login.js';
import { isEncryptedKey, unlockPrivateKey } from './key-at-rest.js';

/**
 * Where a user's key files live on a client machine: in DIR itself (the specification's
 * layout, C) or in DIR/<user>/ (the key generator's layout, one folder per user).
 */
export function keyFolderCandidates(dir: string, username: string): string[] {
  return [join(dir, username), dir];
}

function findFile(dir: string, username: string, name: string): string | undefined {
  for (const folder of keyFolderCandidates(dir, username)) {
    const file = join(folder, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The user's keyring (keyring.ts): the `keyring` folder beside their private key, or in
 * DIR/<user>/ when there is no private key yet.
 */
export function keyringFolder(dir: string, username: string): string {
  const privateFile = findFile(dir, username, `${username}_private.pem`);
  return join(privateFile === undefined ? join(dir, username) : dirname(privateFile), 'keyring');
}

/** How the user's private key is kept on this machine. */
export type KeyAtRest = 'encrypted' | 'plain' | 'missing';

export interface LoadedClientKeys extends ClientKeys {
  /** `plain` keys still work, with a warning and `npm run encrypt-key` to encrypt them. */
  privateKeyAtRest: KeyAtRest;
  /** The private key's file, when there is one. */
  privateKeyFile: string | undefined;
  /** server_public.pem, which a server key update replaces (server-key-update.ts). */
  serverKeyFile: string;
}

/**
 * Refuses a private key file that other users could read or that is not this user's, as
 * OpenSSH refuses such a key: what it protects would no longer be the user's alone.
 */
export function checkPrivateKeyFile(file: string): void {
  const stats = statSync(file);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid)
    throw new ProtocolError(
      'UNSAFE_KEY_FILE',
      `${file} belongs to another user (uid ${stats.uid}); it must be yours: copy it, or run chown`,
    );
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ProtocolError(
      'UNSAFE_KEY_FILE',
      `${file} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
    );
}

const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * What can be checked of a user's key folder before a password is asked for: the folder, the
 * server's public key, and the private key file's owner and mode when there is one (a missing
 * private key is the server's to answer: an unknown user hears "Invalid username or password").
 */
export function checkKeyFolder(dir: string, username: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ProtocolError(
      'MISSING_PRIVATE_KEY',
      `the key folder ${dir} does not exist: run the client in your key folder or name it with --keys DIR (the bundle your administrator gave you)`,
    );
  if (!findFile(dir, username, 'server_public.pem'))
    throw new ProtocolError(
      'MISSING_PRIVATE_KEY',
      `no server_public.pem in ${dir} or ${join(dir, username)}: name the folder of your bundle with --keys DIR (it holds server_public.pem and ${username}_private.pem)`,
    );
  const privateFile = findFile(dir, username, `${username}_private.pem`);
  if (privateFile !== undefined) checkPrivateKeyFile(privateFile);
}

/**
 * The server's public key, and the user's private key unlocked with `passphrase` (what the
 * person typed) before anything is sent: a wrong passphrase throws WRONG_KEY_PASSPHRASE here,
 * never after a server answered. A missing private key throws MISSING_PRIVATE_KEY only when the
 * login needs it, so that a user unknown to this machine still hears the server's answer.
 */
export function loadClientKeys(
  dir: string,
  username: string,
  { passphrase }: { passphrase?: string } = {},
): LoadedClientKeys {
  const serverFile = findFile(dir, username, 'server_public.pem');
  if (!serverFile) {
    throw new ProtocolError(
      'MISSING_PRIVATE_KEY',
      `no server_public.pem in ${dir} or ${join(dir, username)}`,
    );
  }
  const serverPublicKey = parsePublicKey(readFileSync(serverFile), serverFile);
  const name = `${username}_private.pem`;
  const file = findFile(dir, username, name);
  if (!file) {
    return {
      serverPublicKey,
      serverKeyFile: serverFile,
      privateKeyAtRest: 'missing',
      privateKeyFile: undefined,
      privateKey() {
        throw new ProtocolError(
          'MISSING_PRIVATE_KEY',
          `no ${name} in ${dir} or ${join(dir, username)}`,
        );
      },
    };
  }
  checkPrivateKeyFile(file);
  const pem = readRegularFile(file, MAX_KEY_FILE_BYTES);
  if (!pem) throw new ProtocolError('BAD_KEY', `${file} is not a regular file`);
  const privateKey = unlockPrivateKey(pem, passphrase, file);
  return {
    serverPublicKey,
    serverKeyFile: serverFile,
    privateKeyAtRest: isEncryptedKey(pem) ? 'encrypted' : 'plain',
    privateKeyFile: file,
    privateKey: () => privateKey,
  };
}
