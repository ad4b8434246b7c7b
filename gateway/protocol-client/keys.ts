import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parsePrivateKey, parsePublicKey } from '../../protocol/crypto.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { ClientKeys } from '../../protocol/login.js';

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

/** The server's public key now, the user's private key only when the login needs it. */
export function loadClientKeys(dir: string, username: string): ClientKeys {
  const serverFile = findFile(dir, username, 'server_public.pem');
  if (!serverFile) {
    throw new ProtocolError(
      'MISSING_PRIVATE_KEY',
      `no server_public.pem in ${dir} or ${join(dir, username)}`,
    );
  }
  const serverPublicKey = parsePublicKey(readFileSync(serverFile), serverFile);
  return {
    serverPublicKey,
    privateKey() {
      const name = `${username}_private.pem`;
      const file = findFile(dir, username, name);
      if (!file) {
        throw new ProtocolError(
          'MISSING_PRIVATE_KEY',
          `no ${name} in ${dir} or ${join(dir, username)}`,
        );
      }
      return parsePrivateKey(readFileSync(file), file);
    },
  };
}
