/**
 * What the gateway checks before it listens, so that a service that cannot serve anyone fails
 * at start with one line instead of answering every sign-in with an error: the built UI is
 * there, and the key folder holds at least one user's private key.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const isPrivateKeyName = (name: string): boolean => name.endsWith('_private.pem');

/** The private keys in DIR or one level below (DIR/<user>/), as the gateway looks for them. */
function hasPrivateKey(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && isPrivateKeyName(entry.name)) return true;
    if (entry.isDirectory() && !entry.name.startsWith('.')) {
      try {
        if (readdirSync(join(dir, entry.name)).some(isPrivateKeyName)) return true;
      } catch {
        // A folder we may not read holds nothing for us.
      }
    }
  }
  return false;
}

export function gatewayStartProblems(options: { keysDir: string; webRoot: string }): string[] {
  const problems: string[] = [];
  const { keysDir, webRoot } = options;
  if (!existsSync(webRoot) || !statSync(webRoot).isDirectory())
    problems.push(
      `--web-root ${webRoot} is not a folder: build the UI (npm run build) or name the folder that holds index.html`,
    );
  else if (!existsSync(join(webRoot, 'index.html')))
    problems.push(
      `--web-root ${webRoot} holds no index.html: build the UI (npm run build) or name the built folder (web/dist)`,
    );
  // The server's home holds server_private.pem, which reads as a user named "server".
  if (existsSync(join(keysDir, 'user_pass.json')))
    problems.push(
      `--keys ${keysDir} is a mail server's home (it holds user_pass.json and the server's private key), not a users' key folder: name the folder of the users' bundles (keygen's DIR, without /server, or what sealed-mail-admin keys NAME writes)`,
    );
  else if (!hasPrivateKey(keysDir))
    problems.push(
      `--keys ${keysDir} holds no <user>_private.pem, directly or in a folder per user: nobody could sign in; name the folder of the users' bundles (sealed-mail-admin keys NAME writes one)`,
    );
  return problems;
}
