/**
 * A user's keyring on the client machine, beside their private key: `<name>_public.pem` for
 * each correspondent (the key generator writes everyone's) and `known_keys`, the fingerprint
 * pinned for each name the first time its key is used, as SSH's known_hosts:
 *
 *   client2 SHA256:7u2v...
 *
 * With the user's LocalSeal (the clients always give it once the key is unlocked), each pin is
 * written sealed to the user's own key, `~<base64 of the sealed record>`, so that the file names
 * nobody and a changed pin does not open; a file of plain pins (as before) is sealed at its first
 * use, and plain lines beside sealed ones are ignored.
 *
 * A key that is not the one pinned, whether the keyring's file or the server's answer, is
 * refused (KeyChangedError), never used, never written. A key fetched from the server is
 * written as a new file, which never replaces anything (common/safe-files.ts); nothing in the
 * keyring is read or written through a symbolic link.
 */
import type { KeyObject } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parsePublicKey } from '../../protocol/crypto.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { ProtocolError } from '../../protocol/errors.js';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import type { LocalSeal } from './local-seal.js';
import {
  keyringError,
  KnownKeys,
  pinsByName,
  PIN_FILE,
  provenanceOf,
  readKeyringFile,
  type KeyProvenance,
  type Pin,
} from './known-keys.js';
import { folderProblem, writeFileSafely, type FolderProblem } from '../../common/safe-files.js';

export type KeySource = 'keyring' | 'server';
export type { KeyProvenance };
export { PIN_FILE };

export interface PinnedKey {
  name: string;
  publicKey: KeyObject;
  fingerprint: string;
  /** Where the key was found. */
  source: KeySource;
  /** True when it was pinned just now: first seen, worth comparing with its owner. */
  pinnedNow: boolean;
  /** What its pin says of it (KeyProvenance). */
  provenance: KeyProvenance;
}

/** A key of the keyring, as shown to people; `pinned` is set when the key is not the pinned one. */
export interface KeyringEntry {
  name: string;
  fingerprint: string;
  pinned?: string;
  /** Of the pinned key; a key not pinned yet came with the keyring. */
  provenance: KeyProvenance;
}

const KEY_SUFFIX = '_public.pem';
const MAX_KEY_FILE_BYTES = 64 * 1024;
/** A key that is not the one pinned for its user: refused, with what to do about it. */
export class KeyChangedError extends ProtocolError {
  readonly user: string;
  readonly pinned: string;
  readonly offered: string;
  readonly source: KeySource;

  constructor(user: string, pinned: string, offered: string, source: KeySource) {
    super(
      'KEY_CHANGED',
      `The key of ${user} has changed: ${pinned} is pinned for ${user}, but ${source === 'keyring' ? 'your keyring now holds' : 'the server now gives'} ${offered}. ` +
        `It may be an impostor's key, and it is not used. If ${user} really has a new key, compare its fingerprint with ${user}, then forget the old one: npm run keyring -- forget ${user} (it asks for your password).`,
      { fatal: false },
    );
    this.user = user;
    this.pinned = pinned;
    this.offered = offered;
    this.source = source;
  }
}

function requireName(name: string): void {
  if (!USERNAME_PATTERN.test(name)) throw keyringError(`has no place for "${name.slice(0, 64)}"`);
}

const FOLDER_PROBLEM_WORDS: Record<FolderProblem['kind'], string> = {
  link: 'is a symbolic link, which is never followed',
  'not-folder': 'is not a folder',
  'other-owner': 'belongs to another user',
  'open-to-others': 'can be written by other users',
};

/** The fingerprint pinned for a user; a user pinned to two keys is refused as changed. */
function pinOf(name: string, records: readonly Pin[]): string | undefined {
  const [pinned, other] = pinsByName(records).get(name) ?? [];
  if (pinned !== undefined && other !== undefined)
    throw new KeyChangedError(name, pinned, other, 'keyring');
  return pinned;
}

export class Keyring {
  readonly folder: string;
  /** The pins (`known_keys`), sealed with `seal` when it is given. */
  readonly #known: KnownKeys;

  constructor(folder: string, seal?: LocalSeal) {
    this.folder = folder;
    this.#known = new KnownKeys(folder, seal);
  }

  /**
   * The pinned key of a user from the keyring, pinning it on first use; undefined when the
   * keyring has no key for them. Throws KeyChangedError when it is not the pinned one.
   */
  find(name: string): PinnedKey | undefined {
    requireName(name);
    if (!this.#usable(false)) return undefined;
    const publicKey = this.#readKey(name);
    if (!publicKey) return undefined;
    const fingerprint = keyFingerprint(publicKey);
    const records = this.#known.records();
    const pinned = pinOf(name, records);
    if (pinned !== undefined && pinned !== fingerprint)
      throw new KeyChangedError(name, pinned, fingerprint, 'keyring');
    if (pinned === undefined) this.#known.append({ name, fingerprint, note: '' });
    return {
      name,
      publicKey,
      fingerprint,
      source: 'keyring',
      pinnedNow: pinned === undefined,
      provenance: provenanceOf(
        records.filter((pin) => pin.name === name),
        fingerprint,
      ),
    };
  }

  /**
   * What using a user's key would do, without pinning anything: the keyring's key (or `offered`,
   * the server's, when the keyring has none) and whether it is the pinned one. Undefined when
   * there is no key to use.
   */
  peek(
    name: string,
    offered?: KeyObject,
  ): { state: 'keyring' | 'server' | 'changed'; fingerprint: string } | undefined {
    requireName(name);
    const own = this.#usable(false) ? this.#readKey(name) : undefined;
    const key = own ?? offered;
    if (!key) return undefined;
    const fingerprint = keyFingerprint(key);
    const pinned = this.#usable(false) ? this.#pins().get(name) : undefined;
    if (pinned !== undefined && (pinned.length > 1 || pinned[0] !== fingerprint))
      return { state: 'changed', fingerprint };
    return { state: own ? 'keyring' : 'server', fingerprint };
  }

  /**
   * A key the server gave for a user the keyring has no key of: pinned and written into the
   * keyring, unless another is pinned for them (KeyChangedError).
   */
  adopt(name: string, publicKey: KeyObject): PinnedKey {
    requireName(name);
    this.#usable(true);
    const fingerprint = keyFingerprint(publicKey);
    for (;;) {
      const present = this.find(name);
      if (present) {
        if (present.fingerprint !== fingerprint)
          throw new KeyChangedError(name, present.fingerprint, fingerprint, 'server');
        return present;
      }
      const records = this.#known.records();
      const pinned = pinOf(name, records);
      if (pinned !== undefined && pinned !== fingerprint)
        throw new KeyChangedError(name, pinned, fingerprint, 'server');
      // Pinned with its origin, so that it is shown as the server's until the user compares it.
      if (pinned === undefined) this.#known.append({ name, fingerprint, note: 'server' });
      if (this.#writeNewKey(name, publicKey))
        return {
          name,
          publicKey,
          fingerprint,
          source: 'server',
          pinnedNow: pinned === undefined,
          provenance:
            pinned === undefined
              ? 'server'
              : provenanceOf(
                  records.filter((pin) => pin.name === name),
                  fingerprint,
                ),
        };
      // Another program wrote that key file meanwhile: compare with what it wrote.
    }
  }

  /** The pinned fingerprints by user, as the pins file holds them (opened with the seal). */
  pinned(): Map<string, string[]> {
    if (!this.#usable(false)) return new Map();
    return this.#pins();
  }

  /**
   * Records that the user compared a user's key with its owner: `fingerprint` must be the key
   * of that user in the keyring and the one pinned (or pinned by this). A changed key cannot be
   * marked verified (KeyChangedError): it keeps its warning until the old pin is forgotten.
   * Returns the keyring's entry, now `verified`.
   */
  markVerified(name: string, fingerprint: string): KeyringEntry {
    requireName(name);
    const key = this.find(name);
    if (!key) throw keyringError(`has no key of ${name} to mark as verified`);
    if (key.fingerprint !== fingerprint)
      throw new KeyChangedError(name, key.fingerprint, fingerprint, 'keyring');
    // Appended (O_APPEND), as pins are, so a program pinning at the same time loses nothing.
    if (key.provenance !== 'verified') this.#known.append({ name, fingerprint, note: 'verified' });
    return { name, fingerprint, provenance: 'verified' };
  }

  /**
   * The names whose keys this user holds and has used: pinned (sealed to, a sealed email of
   * theirs checked, or fetched). A plain email in one of their names is one they could have
   * sealed. Key files never used do not count: the key generator gives every user every key,
   * and a warning on every plain email would teach people to ignore it.
   */
  holders(): Set<string> {
    if (!this.#usable(false)) return new Set();
    return new Set(this.#pins().keys());
  }

  /**
   * Forgets what is pinned for a user (after comparing their new key with them), so that the
   * next use pins the key then in the keyring, or the server's when the keyring has none. The
   * keyring's key files are left as they are. False when nothing was pinned for them.
   */
  forget(name: string): boolean {
    requireName(name);
    if (!this.#usable(false)) return false;
    const records = this.#known.records();
    const kept = records.filter((pin) => pin.name !== name);
    if (kept.length === records.length) return false;
    // The verified mark goes with the pin: the next key is not the one that was compared.
    this.#known.replace(kept);
    return true;
  }

  /** Every key of the keyring with its fingerprint, marking those that are not the pinned ones. */
  list(): KeyringEntry[] {
    if (!this.#usable(false)) return [];
    const records = this.#known.records();
    const pins = pinsByName(records);
    return readdirSync(this.folder)
      .filter((file) => file.endsWith(KEY_SUFFIX))
      .map((file) => file.slice(0, -KEY_SUFFIX.length))
      .filter((name) => USERNAME_PATTERN.test(name))
      .sort()
      .flatMap((name): KeyringEntry[] => {
        let publicKey: KeyObject | undefined;
        try {
          publicKey = this.#readKey(name);
        } catch {
          return [];
        }
        if (!publicKey) return [];
        const fingerprint = keyFingerprint(publicKey);
        const pinned = pins.get(name)?.[0];
        if (pinned !== undefined && pinned !== fingerprint)
          return [{ name, fingerprint, pinned, provenance: 'keyring' }];
        const own = records.filter((pin) => pin.name === name);
        return [{ name, fingerprint, provenance: provenanceOf(own, fingerprint) }];
      });
  }

  /** Whether the folder is there and safe; made (0700) when `create` is set. */
  #usable(create: boolean): boolean {
    let stats: Stats;
    try {
      stats = lstatSync(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!create) return false;
      try {
        mkdirSync(this.folder, { mode: 0o700 });
      } catch (made) {
        // Another process of this user made it between the two calls.
        if ((made as NodeJS.ErrnoException).code !== 'EEXIST') throw made;
      }
      stats = lstatSync(this.folder);
    }
    const problem = folderProblem(stats);
    if (problem) throw keyringError(`folder ${FOLDER_PROBLEM_WORDS[problem.kind]}`);
    return true;
  }

  #readKey(name: string): KeyObject | undefined {
    const shown = `keyring/${name}${KEY_SUFFIX}`;
    const pem = readKeyringFile(
      join(this.folder, `${name}${KEY_SUFFIX}`),
      shown,
      MAX_KEY_FILE_BYTES,
    );
    return pem && parsePublicKey(pem, shown);
  }

  /** Each pinned user's fingerprints, the first pinned first (one, unless the file was edited). */
  #pins(): Map<string, string[]> {
    return pinsByName(this.#known.records());
  }

  /** Writes `<name>_public.pem` whole; false when a file of that name appeared meanwhile. */
  #writeNewKey(name: string, publicKey: KeyObject): boolean {
    const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
    try {
      writeFileSafely(this.folder, `${name}${KEY_SUFFIX}`, pem, { mode: 0o644, place: 'new' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }
}
