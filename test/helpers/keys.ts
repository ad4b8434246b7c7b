import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeySetup } from '../../scripts/key-setup.js';
import { loadClientKeys, type LoadedClientKeys } from '../../gateway/protocol-client/keys.js';

const templates = new Map<string, Promise<string>>();

/**
 * A fresh key setup (out/server and out/<user>) in a temporary folder. Key pairs are made
 * once per users list and test file, then copied, so each test gets its own inboxes cheaply.
 */
export async function makeKeySetup(
  users: readonly string[] = ['client1', 'client2', 'client3', 'client4', 'client5'],
  { plainKeys = false }: { plainKeys?: boolean } = {},
): Promise<{ dir: string; cleanup: () => void }> {
  const id = `${users.join(',')}${plainKeys ? ' plain' : ''}`;
  let template = templates.get(id);
  if (!template) {
    template = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-keys-'));
      await writeKeySetup({ out: dir, users, plainKeys });
      return dir;
    })();
    templates.set(id, template);
  }
  const source = await template;
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-test-'));
  cpSync(source, dir, { recursive: true });
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const serverHome = (dir: string): string => join(dir, 'server');
export const inboxOf = (dir: string, user: string): string => join(dir, 'server', user);

const unlocked = new Map<string, LoadedClientKeys>();

/**
 * A user's keys from a key setup (see makeKeySetup), the private key unlocked with the password
 * the setup gave them (read from its user_pass.json), so that a test can send any password to a
 * server while holding the user's real key. Unlocked once per key file's content: scrypt is
 * slow on purpose.
 */
export function setupKeys(
  setupDir: string,
  user: string,
  fallbackPassphrase?: string,
): LoadedClientKeys {
  const privateFile = join(setupDir, user, `${user}_private.pem`);
  const pem = existsSync(privateFile) ? readFileSync(privateFile, 'utf8') : '';
  const cacheKey = `${setupDir}\0${user}\0${pem}`;
  let keys = unlocked.get(cacheKey);
  if (!keys) {
    const records = JSON.parse(
      readFileSync(join(setupDir, 'server', 'user_pass.json'), 'utf8'),
    ) as Record<string, string>;
    const recorded = records[user];
    const passphrase =
      recorded !== undefined && !recorded.startsWith('scrypt$') ? recorded : fallbackPassphrase;
    keys = loadClientKeys(join(setupDir, user), user, { passphrase });
    unlocked.set(cacheKey, keys);
  }
  return keys;
}
