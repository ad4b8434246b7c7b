import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { writeFileSafely } from '../../common/safe-files.js';
import { writeKeySetup } from '../../scripts/key-setup.js';
import {
  keyFolderCandidates,
  loadClientKeys,
  type LoadedClientKeys,
} from '../../gateway/protocol-client/keys.js';
import { generateRsaKeyPair, parsePublicKey, type PemKeyPair } from '../../protocol/crypto.js';
import type { ScryptCost } from '../../gateway/protocol-client/key-at-rest.js';

const templates = new Map<string, Promise<string>>();

/**
 * The scrypt cost of the test setups' private keys at rest: 64 times cheaper than the product's
 * (KEY_SCRYPT, N 2^14), which keygen's and admin's own tests still write and read. The suite
 * unlocks a key a few hundred times (each gateway sign-in, each test that holds a user's key);
 * at the product's cost that was about 20 s of CPU per run. What an unlock proves (the right
 * password opens the key, a wrong one does not) does not depend on N.
 */
const TEST_KEY_COST: ScryptCost = { N: 2 ** 8, r: 8, p: 1 };

const keyPairs = new Map<string, Promise<PemKeyPair>>();

/**
 * One RSA key pair per username for the whole run, shared by every users list's setup (about 50
 * pairs were generated per run, for 26 names). Kept as files beside the templates; the first file
 * written for a name is the one every worker takes (common/safe-files.ts, `place: 'new'`: a link never replaces), so two setups
 * never hold different keys under one username. Each setup has a server key pair of its own:
 * tests take another setup's server key as a key that is not their server's.
 */
function sharedKeyPair(name: string): Promise<PemKeyPair> {
  if (name === 'server') return generateRsaKeyPair();
  let pair = keyPairs.get(name);
  if (!pair) {
    pair = keyPairFile(name);
    keyPairs.set(name, pair);
  }
  return pair;
}

async function keyPairFile(name: string): Promise<PemKeyPair> {
  const folder = join(inject('keyTemplates'), 'key-pairs');
  const file = join(folder, `${name}.json`);
  const read = (): PemKeyPair => JSON.parse(readFileSync(file, 'utf8')) as PemKeyPair;
  if (existsSync(file)) return read();
  const pair = await generateRsaKeyPair();
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    writeFileSafely(folder, `${name}.json`, JSON.stringify(pair), { mode: 0o600, place: 'new' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return read();
  }
  return pair;
}

/**
 * The run's key setup for one users list (test/setup/key-templates.ts): made once per run by
 * the first test file that asks, in a folder of its own renamed into place. A file in another
 * worker that asks for the same list meanwhile waits for that rename instead of making the
 * keys a second time (two files of one list often start together).
 */
async function keyTemplate(users: readonly string[], plainKeys: boolean): Promise<string> {
  const id = `${users.join(',')}${plainKeys ? ' plain' : ''}`;
  const shared = inject('keyTemplates');
  const final = join(shared, createHash('sha256').update(id).digest('hex').slice(0, 24));
  if (existsSync(final)) return final;
  try {
    mkdirSync(`${final}.claimed`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await appearance(shared, final);
    return final;
  }
  const made = mkdtempSync(join(shared, 'making-'));
  await writeKeySetup({
    out: made,
    users,
    plainKeys,
    testKeys: { keyPair: sharedKeyPair, keyCost: TEST_KEY_COST },
  });
  renameSync(made, final);
  return final;
}

/**
 * Resolves once `path` exists in `folder`: watched first, then checked, so that a rename between
 * the two is not missed. A worker that failed while making it leaves nothing to wait for: the
 * hook's timeout says so.
 */
function appearance(folder: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(folder, () => {
      if (!existsSync(path)) return;
      watcher.close();
      resolve();
    });
    watcher.on('error', (error) => {
      watcher.close();
      reject(error);
    });
    if (existsSync(path)) {
      watcher.close();
      resolve();
    }
  });
}

/**
 * A fresh key setup (out/server and out/<user>) in a temporary folder. Key pairs are made
 * once per users list and test run, then copied, so each test gets its own inboxes cheaply.
 */
export async function makeKeySetup(
  users: readonly string[] = ['client1', 'client2', 'client3', 'client4', 'client5'],
  { plainKeys = false }: { plainKeys?: boolean } = {},
): Promise<{ dir: string; cleanup: () => void }> {
  const id = `${users.join(',')}${plainKeys ? ' plain' : ''}`;
  let template = templates.get(id);
  if (!template) {
    template = keyTemplate(users, plainKeys);
    templates.set(id, template);
  }
  const source = await template;
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-test-'));
  cpSync(source, dir, { recursive: true });
  return {
    dir,
    cleanup: () => {
      // A session process of a killed server may still be ending inside the folder.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
}

export const serverHome = (dir: string): string => join(dir, 'server');
export const inboxOf = (dir: string, user: string): string => join(dir, 'server', user);

const unlocked = new Map<string, LoadedClientKeys>();
/**
 * The same keys by the private key's content and passphrase: the copies of one key template in
 * many setups (each test's own folder) then cost scrypt once per worker, not once per setup.
 */
const unlockedByContent = new Map<string, LoadedClientKeys>();

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
    const contentKey = `${user}\0${pem}\0${passphrase ?? ''}`;
    const twin = pem === '' ? undefined : unlockedByContent.get(contentKey);
    if (twin) {
      // Only the files' places and the server key (which a test may replace) are this setup's.
      const serverKeyFile = keyFolderCandidates(join(setupDir, user), user)
        .map((folder) => join(folder, 'server_public.pem'))
        .find((file) => existsSync(file));
      if (serverKeyFile === undefined) throw new Error(`no server_public.pem for ${user}`);
      keys = {
        ...twin,
        serverKeyFile,
        serverPublicKey: parsePublicKey(readFileSync(serverKeyFile), serverKeyFile),
        privateKeyFile: privateFile,
      };
    } else {
      keys = loadClientKeys(join(setupDir, user), user, { passphrase });
      if (pem !== '') unlockedByContent.set(contentKey, keys);
    }
    unlocked.set(cacheKey, keys);
  }
  return keys;
}
