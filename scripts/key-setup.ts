import { createPrivateKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateRsaKeyPair, type PemKeyPair } from '../protocol/crypto.js';
import {
  bundleFiles,
  KEYRING_FOLDER,
  PRIVATE_MODE,
  PUBLIC_MODE,
  type BundleFile,
} from './site-bundle.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';
import { lookalikeOf, lookalikePairs } from '../protocol/skeleton.js';
import { hashPassword } from '../mail-server/passwords.js';
import {
  encryptPrivateKey,
  KEY_SCRYPT,
  type ScryptCost,
} from '../gateway/protocol-client/key-at-rest.js';
import {
  ensurePrivateFolder,
  fileProblem,
  folderProblem,
  lstatIfPresent,
  replaceFile,
  writeNewFile,
} from './safe-files.js';

export const DEFAULT_USERS = ['client1', 'client2', 'client3', 'client4', 'client5'] as const;

export interface KeySetupOptions {
  out: string;
  users: readonly string[];
  /** One per user; the demo default is the sample's password1, password2, ... */
  passwords?: readonly string[];
  /** Store scrypt hashes in user_pass.json instead of the plain passwords. */
  hash?: boolean;
  /**
   * Write the specification's unencrypted private keys (for implementations that cannot read
   * an encrypted one) instead of keys encrypted under each user's password.
   */
  plainKeys?: boolean;
  force?: boolean;
  /**
   * For the test suite, which makes many throwaway setups: where each key pair comes from
   * (`name` is a username or "server"; by default a new RSA pair each), and the scrypt cost of
   * the private keys at rest (by default KEY_SCRYPT, the one keygen and admin write).
   */
  testKeys?: { keyPair: (name: string) => Promise<PemKeyPair>; keyCost: ScryptCost };
}

/** The sample's demo password for the n-th user (1-based): password1, password2, ... */
export const demoPassword = (index: number): string => `password${index}`;

export class KeySetupError extends Error {}

/** What the files are made of, known once the keys are generated. */
interface Material {
  server: PemKeyPair;
  users: ReadonlyMap<string, PemKeyPair>;
  userPassJson: string;
}

/** A site already in `out/server`: its server key pair and users, which a run adds to. */
interface Site {
  server: PemKeyPair;
  records: Record<string, string>;
  /** Each existing user's public key, for the new users' keyrings. */
  publicKeys: Map<string, string>;
}

interface Destination {
  path: string;
  mode: number;
  content: (material: Material) => string;
}

interface Layout {
  /** The folders inside --out, parents before children. */
  folders: string[];
  files: Destination[];
}

const pairOf = (material: Material, user: string): PemKeyPair => {
  const pair = material.users.get(user);
  if (!pair) throw new Error(`no key pair for ${user}`);
  return pair;
};

const publicKeyOf =
  (user: string) =>
  (material: Material): string =>
    pairOf(material, user).publicPem;

/**
 * Every folder and file a setup writes: `out/server/` (the server's home: its key pair, every
 * user's public key, user_pass.json and the inbox folders) and `out/<user>/` (that user's
 * machine: its key pair, server_public.pem, and a keyring with every user's public key).
 */
function layoutOf(
  out: string,
  users: readonly string[],
  others: ReadonlyMap<string, string> = new Map(),
): Layout {
  const serverHome = join(out, 'server');
  const folders = [serverHome];
  const files: Destination[] = [
    {
      path: join(serverHome, 'server_private.pem'),
      mode: PRIVATE_MODE,
      content: (material) => material.server.privatePem,
    },
    {
      path: join(serverHome, 'server_public.pem'),
      mode: PUBLIC_MODE,
      content: (material) => material.server.publicPem,
    },
  ];
  for (const user of users) {
    const machine = join(out, user);
    folders.push(join(serverHome, user), machine, join(machine, KEYRING_FOLDER));
    files.push({
      path: join(serverHome, `${user}_public.pem`),
      mode: PUBLIC_MODE,
      content: publicKeyOf(user),
    });
    // The machine's bundle, as admin users add and admin keys write it (site-bundle.ts).
    const bundleOf = (material: Material): BundleFile[] =>
      bundleFiles({
        user,
        privatePem: pairOf(material, user).privatePem,
        publicPem: pairOf(material, user).publicPem,
        serverPublicPem: material.server.publicPem,
        keyring: new Map([
          ...others,
          ...users.map((name) => [name, pairOf(material, name).publicPem] as const),
        ]),
      });
    const paths = bundleFiles({
      user,
      privatePem: '',
      publicPem: '',
      serverPublicPem: '',
      keyring: new Map([...others, ...users.map((name) => [name, ''] as const)]),
    });
    for (const { path, mode } of paths)
      files.push({
        path: join(machine, path),
        mode,
        content: (material) => bundleOf(material).find((file) => file.path === path)?.content ?? '',
      });
  }
  // Last, so that a run that fails midway leaves no passwords for keys that were not written.
  files.push({
    path: join(serverHome, 'user_pass.json'),
    mode: PRIVATE_MODE,
    content: (material) => material.userPassJson,
  });
  return { folders, files };
}

function validateOptions(options: KeySetupOptions): void {
  const { users } = options;
  if (users.length === 0) throw new KeySetupError('at least one user is needed');
  for (const user of users) {
    if (!USERNAME_PATTERN.test(user) || user === 'server') {
      throw new KeySetupError(
        `"${user}" is not a valid username (letters, digits, ".", "_", "-"; not "server")`,
      );
    }
  }
  if (new Set(users).size !== users.length) throw new KeySetupError('a username is listed twice');
  const [pair] = lookalikePairs(users);
  if (pair) throw lookalikeRefusal(pair[1], pair[0], 'in this run');
  if (options.passwords && options.passwords.length !== users.length) {
    throw new KeySetupError(
      `${options.passwords.length} passwords given for ${users.length} users`,
    );
  }
}

/** One line naming both: a reader could not tell the new user from the other one. */
const lookalikeRefusal = (name: string, other: string, where: string): KeySetupError =>
  new KeySetupError(
    `"${name}" looks like "${other}" (${where}): readers could not tell them apart (UTS #39 skeleton, case, rn/m, vv/w, cl/d); choose another name`,
  );

/**
 * The users a home already has, from its user_pass.json, its public keys and its inbox
 * folders: a run that adds a user beside them (with --force) must not add a look-alike.
 */
async function usersInHome(home: string): Promise<Set<string>> {
  const names = new Set<string>();
  if (!(await lstatIfPresent(home))) return names;
  for (const entry of await readdir(home, { withFileTypes: true })) {
    const name = entry.isDirectory() ? entry.name : entry.name.replace(/_public\.pem$/, '');
    if ((entry.isDirectory() || name !== entry.name) && USERNAME_PATTERN.test(name))
      names.add(name);
  }
  const passwords = join(home, 'user_pass.json');
  const stats = await lstatIfPresent(passwords);
  if (stats?.isFile()) {
    try {
      const records: unknown = JSON.parse(await readFile(passwords, 'utf8'));
      if (typeof records === 'object' && records !== null)
        for (const name of Object.keys(records)) names.add(name);
    } catch {
      // Not JSON: it is replaced whole by this run; its names are still in the folders above.
    }
  }
  names.delete('server');
  return names;
}

async function refuseLookalikesOfHome(out: string, users: readonly string[]): Promise<void> {
  const home = join(out, 'server');
  const existing = [...(await usersInHome(home))];
  for (const user of users) {
    const other = lookalikeOf(user, existing);
    if (other !== undefined) throw lookalikeRefusal(user, other, `already in ${home}`);
  }
}

function refusal(problems: readonly string[]): KeySetupError {
  const [first] = problems;
  if (problems.length === 1 && first) return new KeySetupError(first);
  return new KeySetupError(`refusing to write:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

/** Refuses, listing them all, existing folders that must not be written into. */
async function refuseUnsafeFolders(out: string, layout: Layout): Promise<void> {
  const problems: string[] = [];
  for (const folder of [out, ...layout.folders]) {
    const stats = await lstatIfPresent(folder);
    const problem = stats && folderProblem(folder, stats);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw refusal(problems);
}

/**
 * The destinations where a regular file already is. Refuses, listing them all, destinations
 * that are symbolic links or anything else but a regular file.
 */
async function existingDestinations(layout: Layout): Promise<Set<string>> {
  const existing = new Set<string>();
  const problems: string[] = [];
  for (const { path } of layout.files) {
    const stats = await lstatIfPresent(path);
    if (!stats) continue;
    const problem = fileProblem(path, stats);
    if (problem) problems.push(problem);
    else existing.add(path);
  }
  if (problems.length > 0) throw refusal(problems);
  return existing;
}

async function hasKeys(folder: string): Promise<boolean> {
  if (!(await lstatIfPresent(folder))) return false;
  return (await readdir(folder)).some((name) => name.endsWith('.pem'));
}

/** Without --force, a key already in a folder, or a file at a destination, stops the run. */
async function refuseToOverwrite(
  out: string,
  users: readonly string[],
  existing: ReadonlySet<string>,
  site: Site | undefined,
): Promise<void> {
  // A site's own folder holds keys by nature: new users are added to it (keeping them).
  const folders = [...(site ? [] : [join(out, 'server')]), ...users.map((user) => join(out, user))];
  for (const folder of folders) {
    if (await hasKeys(folder)) {
      throw new KeySetupError(`${folder} already holds keys; use --force to replace them`);
    }
  }
  const [existingFile] = [...existing].filter((path) => !site || !isSiteFile(out, path));
  if (existingFile !== undefined) {
    throw new KeySetupError(`${existingFile} already exists; use --force to replace it`);
  }
}

const SITE_FILES = ['server_private.pem', 'server_public.pem', 'user_pass.json'];
const isSiteFile = (out: string, path: string): boolean =>
  SITE_FILES.some((name) => path === join(out, 'server', name));

/**
 * The site already in `out/server`, when there is one (its server key pair and user_pass.json
 * are regular files that parse), so that a run adds users to it and never replaces it.
 */
async function existingSite(out: string): Promise<Site | undefined> {
  const home = join(out, 'server');
  const stats = await Promise.all(SITE_FILES.map((name) => lstatIfPresent(join(home, name))));
  if (!stats.every((each) => each?.isFile())) return undefined;
  try {
    const [privatePem, publicPem, userPass] = await Promise.all(
      SITE_FILES.map((name) => readFile(join(home, name), 'utf8')),
    );
    const records = JSON.parse(userPass ?? '') as unknown;
    if (typeof records !== 'object' || records === null || Array.isArray(records)) return undefined;
    const entries = Object.entries(records).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    const publicKeys = new Map<string, string>();
    for (const [name] of entries) {
      const pem = await readFile(join(home, `${name}_public.pem`), 'utf8').catch(() => undefined);
      if (pem !== undefined) publicKeys.set(name, pem);
    }
    return {
      server: { privatePem: privatePem ?? '', publicPem: publicPem ?? '' },
      records: Object.fromEntries(entries),
      publicKeys,
    };
  } catch {
    return undefined;
  }
}

/** The passwords by user, and user_pass.json's records (the passwords or their hashes). */
function choosePasswords(options: KeySetupOptions): {
  passwords: Map<string, string>;
  records: Record<string, string>;
} {
  const passwords = new Map<string, string>();
  const records: Record<string, string> = {};
  for (const [i, user] of options.users.entries()) {
    const password = options.passwords?.[i] ?? demoPassword(i + 1);
    passwords.set(user, password);
    records[user] = options.hash ? hashPassword(password) : password;
  }
  return { passwords, records };
}

/** A user's pair as written on their machine: the private key encrypted under their password. */
function atRest(pair: PemKeyPair, password: string | undefined, cost: ScryptCost): PemKeyPair {
  if (password === undefined) return pair;
  return {
    publicPem: pair.publicPem,
    privatePem: encryptPrivateKey(createPrivateKey(pair.privatePem), password, cost),
  };
}

async function generateMaterial(
  users: readonly string[],
  records: Record<string, string>,
  passphrases: ReadonlyMap<string, string> | undefined,
  site: Site | undefined,
  testKeys: KeySetupOptions['testKeys'],
): Promise<Material> {
  const keyPair = testKeys?.keyPair ?? (() => generateRsaKeyPair());
  const cost = testKeys?.keyCost ?? KEY_SCRYPT;
  const [server, userPairs] = await Promise.all([
    site ? Promise.resolve(site.server) : keyPair('server'),
    Promise.all(
      users.map(
        async (user) => [user, atRest(await keyPair(user), passphrases?.get(user), cost)] as const,
      ),
    ),
  ]);
  return {
    server,
    users: new Map(userPairs),
    // Added to a site: its other users' records stay as they are.
    userPassJson: `${JSON.stringify({ ...site?.records, ...records }, null, 2)}\n`,
  };
}

/**
 * Writes the layout (see layoutOf) under `out`. Returns the passwords it set, by user.
 *
 * Nothing is written when a folder is a symbolic link, belongs to another user or is writable
 * by group or others, when a destination is a symbolic link, or (without `force`) when anything
 * is at a destination. Files are created without following links (see safe-files.ts): one that
 * was not there at the check must still be absent when it is put in place.
 */
export async function writeKeySetup(options: KeySetupOptions): Promise<Map<string, string>> {
  validateOptions(options);
  const { out, users } = options;
  // A site already there is added to: its server key and its other users stay (keygen never
  // rebuilds a site; npm run admin changes one in place).
  const site = await existingSite(out);
  const others = new Map([...(site?.publicKeys ?? [])].filter(([name]) => !users.includes(name)));
  const layout = layoutOf(out, users, others);
  await refuseUnsafeFolders(out, layout);
  await refuseLookalikesOfHome(out, users);
  const existing = await existingDestinations(layout);
  if (!options.force) await refuseToOverwrite(out, users, existing, site);
  const already = users.filter((user) => site && Object.hasOwn(site.records, user));
  if (!options.force && already.length > 0)
    throw new KeySetupError(
      `${already.join(', ')} ${already.length === 1 ? 'is' : 'are'} already a user of ${join(out, 'server')}; use --force to replace their keys, or npm run admin -- --home ${join(out, 'server')} passwd NAME to change a password`,
    );

  const { passwords, records } = choosePasswords(options);
  const material = await generateMaterial(
    users,
    records,
    options.plainKeys ? undefined : passwords,
    site,
    options.testKeys,
  );
  await ensurePrivateFolder(out, true);
  for (const folder of layout.folders) await ensurePrivateFolder(folder);
  for (const file of layout.files) {
    const write = existing.has(file.path) ? replaceFile : writeNewFile;
    await write(file.path, file.content(material), file.mode);
  }
  return passwords;
}
