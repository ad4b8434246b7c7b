/**
 * A site's keys handed out: a user's bundle (`admin users add`, `admin keys`) and the keyring
 * (`admin keyring export`), written from what the home holds, never from a user's machine.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileSafely } from '../common/safe-files.js';
import { encryptPrivateKey } from '../gateway/protocol-client/key-at-rest.js';
import { parsePasswordRecord, verifyPassword } from '../mail-server/passwords.js';
import { generateRsaKeyPair } from '../protocol/crypto.js';
import { bundleFiles, keyringFiles, type BundleFile } from './site-bundle.js';
import { readUserPass, SiteUsersError } from './user-pass.js';

function ensureFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/** Every user's public key in the home, by name. */
export function siteKeyring(home: string): Map<string, string> {
  const keyring = new Map<string, string>();
  for (const name of Object.keys(readUserPass(home))) {
    const path = join(home, `${name}_public.pem`);
    if (existsSync(path)) keyring.set(name, readFileSync(path, 'utf8'));
  }
  return keyring;
}

/**
 * Writes files into `folder` (made 0700 when missing). Without `replace`, a file already there
 * stops the run before anything is written.
 */
export function writeFiles(folder: string, files: readonly BundleFile[], replace: boolean): void {
  if (!replace) {
    const taken = files.find((file) => existsSync(join(folder, file.path)));
    if (taken)
      throw new SiteUsersError(
        `${join(folder, taken.path)} already exists; use --force to replace it`,
      );
  }
  for (const file of files) {
    const target = join(folder, file.path);
    ensureFolder(dirname(target));
    writeFileSafely(dirname(target), file.path.split('/').pop() ?? file.path, file.content, {
      mode: file.mode,
      place: replace ? 'replace' : 'new',
    });
  }
}

/** A user's bundle from a new key pair, their private key encrypted under `password`. */
export async function newUserBundle(
  home: string,
  name: string,
  password: string,
  keyring: ReadonlyMap<string, string>,
): Promise<{ publicPem: string; files: BundleFile[] }> {
  const pair = await generateRsaKeyPair();
  const files = bundleFiles({
    user: name,
    privatePem: encryptPrivateKey(createPrivateKey(pair.privatePem), password),
    publicPem: pair.publicPem,
    serverPublicPem: readFileSync(join(home, 'server_public.pem'), 'utf8'),
    keyring,
  });
  return { publicPem: pair.publicPem, files };
}

/**
 * `admin keys NAME`: a new key pair for a user of the site (a lost or new machine), their
 * bundle written to `bundleDir` and their public key in the home replaced. The password must be
 * theirs on the site, since the clients unlock the key with the password typed at sign-in.
 */
export async function issueUserKeys(
  home: string,
  name: string,
  password: string,
  bundleDir: string,
  replace: boolean,
): Promise<void> {
  const records = readUserPass(home);
  const record = records[name];
  if (!Object.hasOwn(records, name) || record === undefined)
    throw new SiteUsersError(`${name} is not a user of ${home}`);
  if (!verifyPassword(parsePasswordRecord(record), password))
    throw new SiteUsersError(
      `that is not ${name}'s password on the site: their key must open with the password they sign in with (change it first with admin passwd ${name})`,
    );
  const { publicPem, files } = await newUserBundle(home, name, password, siteKeyring(home));
  ensureFolder(bundleDir);
  writeFiles(bundleDir, files, replace);
  writeFileSafely(home, `${name}_public.pem`, publicPem, { mode: 0o644, place: 'replace' });
}

/** `admin keyring export DIR`: every user's public key, `DIR/<name>_public.pem`. */
export function exportKeyring(home: string, out: string, replace: boolean): number {
  const keyring = siteKeyring(home);
  ensureFolder(out);
  const stale = readdirSync(out).filter((name) => name.endsWith('_public.pem'));
  if (!replace && stale.length > 0)
    throw new SiteUsersError(`${out} already holds keys; use --force to replace them`);
  writeFiles(out, keyringFiles(keyring), replace);
  return keyring.size;
}
