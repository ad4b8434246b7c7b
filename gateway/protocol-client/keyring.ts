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
import { LocalSealError, type LocalSeal } from './local-seal.js';
import {
  appendWhole,
  FileTooLargeError,
  folderProblem,
  NotRegularFileError,
  readRegularFile,
  writeFileSafely,
  type FolderProblem,
} from '../../common/safe-files.js';

export type KeySource = 'keyring' | 'server';

export interface PinnedKey {
  name: string;
  publicKey: KeyObject;
  fingerprint: string;
  /** Where the key was found. */
  source: KeySource;
  /** True when it was pinned just now: first seen, worth comparing with its owner. */
  pinnedNow: boolean;
}

/** A key of the keyring, as shown to people; `pinned` is set when the key is not the pinned one. */
export interface KeyringEntry {
  name: string;
  fingerprint: string;
  pinned?: string;
}

export const PIN_FILE = 'known_keys';
const KEY_SUFFIX = '_public.pem';
const MAX_KEY_FILE_BYTES = 64 * 1024;
const MAX_PIN_FILE_BYTES = 1024 * 1024;
const PIN_LINE = /^(\S+) (SHA256:[A-Za-z0-9+/]{43})$/;

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

const keyringError = (problem: string): ProtocolError =>
  new ProtocolError('BAD_KEY', `the keyring ${problem}`, { fatal: false });

function requireName(name: string): void {
  if (!USERNAME_PATTERN.test(name)) throw keyringError(`has no place for "${name.slice(0, 64)}"`);
}

/** The bytes of a regular file, or undefined when there is none; never through a link. */
function readKeyringFile(path: string, shown: string, maxBytes: number): Buffer | undefined {
  try {
    return readRegularFile(path, maxBytes, { others: 'throw' });
  } catch (error) {
    if (error instanceof NotRegularFileError) throw keyringError(`file ${shown} ${error.message}`);
    if (error instanceof FileTooLargeError) throw keyringError(`file ${shown} is too large`);
    throw error;
  }
}

const FOLDER_PROBLEM_WORDS: Record<FolderProblem['kind'], string> = {
  link: 'is a symbolic link, which is never followed',
  'not-folder': 'is not a folder',
  'other-owner': 'belongs to another user',
  'open-to-others': 'can be written by other users',
};

const SEALED_PIN = '~';
const PIN_KIND = 'keyring pin';

/** A pin line's name and fingerprint; refused when it is not `<user> SHA256:<fingerprint>`. */
function parsePin(line: string, where: string): [string, string] {
  const match = PIN_LINE.exec(line);
  const [, name = '', fingerprint = ''] = match ?? [];
  if (!match || !USERNAME_PATTERN.test(name))
    throw keyringError(`${where}, is not "<user> SHA256:<fingerprint>"`);
  return [name, fingerprint];
}

export class Keyring {
  readonly folder: string;
  readonly #seal: LocalSeal | undefined;

  constructor(folder: string, seal?: LocalSeal) {
    this.folder = folder;
    this.#seal = seal;
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
    const pinned = this.#pinOf(name);
    if (pinned !== undefined && pinned !== fingerprint)
      throw new KeyChangedError(name, pinned, fingerprint, 'keyring');
    if (pinned === undefined) this.#appendPin(name, fingerprint);
    return { name, publicKey, fingerprint, source: 'keyring', pinnedNow: pinned === undefined };
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
      const pinned = this.#pinOf(name);
      if (pinned !== undefined && pinned !== fingerprint)
        throw new KeyChangedError(name, pinned, fingerprint, 'server');
      if (pinned === undefined) this.#appendPin(name, fingerprint);
      if (this.#writeNewKey(name, publicKey))
        return { name, publicKey, fingerprint, source: 'server', pinnedNow: pinned === undefined };
      // Another program wrote that key file meanwhile: compare with what it wrote.
    }
  }

  /** The pinned fingerprints by user, as the pins file holds them (opened with the seal). */
  pinned(): Map<string, string[]> {
    if (!this.#usable(false)) return new Map();
    return this.#pins();
  }

  /**
   * Forgets what is pinned for a user (after comparing their new key with them), so that the
   * next use pins the key then in the keyring, or the server's when the keyring has none. The
   * keyring's key files are left as they are. False when nothing was pinned for them.
   */
  forget(name: string): boolean {
    requireName(name);
    if (!this.#usable(false)) return false;
    const pins = this.#pins();
    if (!pins.delete(name)) return false;
    this.#sealAll(
      [...pins].flatMap(([user, prints]) => prints.map((print): [string, string] => [user, print])),
    );
    return true;
  }

  /** Every key of the keyring with its fingerprint, marking those that are not the pinned ones. */
  list(): KeyringEntry[] {
    if (!this.#usable(false)) return [];
    const pins = this.#pins();
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
        return [
          pinned === undefined || pinned === fingerprint
            ? { name, fingerprint }
            : { name, fingerprint, pinned },
        ];
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
      mkdirSync(this.folder, { mode: 0o700 });
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

  /** The fingerprint pinned for a user; a user pinned to two keys is refused as changed. */
  #pinOf(name: string): string | undefined {
    const [pinned, other] = this.#pins().get(name) ?? [];
    if (pinned !== undefined && other !== undefined)
      throw new KeyChangedError(name, pinned, other, 'keyring');
    return pinned;
  }

  /** Each pinned user's fingerprints, the first pinned first (one, unless the file was edited). */
  #pins(): Map<string, string[]> {
    const shown = `keyring/${PIN_FILE}`;
    const text =
      readKeyringFile(join(this.folder, PIN_FILE), shown, MAX_PIN_FILE_BYTES)?.toString('utf8') ??
      '';
    const sealed: [string, string][] = [];
    const plain: [string, string][] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const where = `file ${shown}, line ${i + 1}`;
      if (line.startsWith(SEALED_PIN)) {
        sealed.push(parsePin(this.#openPin(line, where), where));
      } else plain.push(parsePin(line, where));
    });
    let used = sealed;
    if (!this.#seal) used = plain;
    else if (sealed.length === 0 && plain.length > 0) {
      // Pins written before they were sealed: trusted as they were, and sealed from now on.
      this.#sealAll(plain);
      used = plain;
    }
    const pins = new Map<string, string[]>();
    for (const [name, fingerprint] of used) {
      const known = pins.get(name) ?? [];
      if (!known.includes(fingerprint)) pins.set(name, [...known, fingerprint]);
    }
    return pins;
  }

  #openPin(line: string, where: string): string {
    if (!this.#seal) throw keyringError(`${where}, is sealed and no key was given to open it`);
    try {
      return this.#seal
        .open(PIN_KIND, Buffer.from(line.slice(SEALED_PIN.length), 'base64'))
        .toString('utf8');
    } catch (error) {
      if (error instanceof LocalSealError)
        throw keyringError(
          `${where}, does not open with this user's key: it was altered, or is another user's`,
        );
      throw error;
    }
  }

  #pinLine(name: string, fingerprint: string): string {
    const pin = `${name} ${fingerprint}`;
    if (!this.#seal) return `${pin}\n`;
    return `${SEALED_PIN}${this.#seal.seal(PIN_KIND, Buffer.from(pin, 'utf8')).toString('base64')}\n`;
  }

  #sealAll(pins: readonly [string, string][]): void {
    const text = pins.map(([name, fingerprint]) => this.#pinLine(name, fingerprint)).join('');
    writeFileSafely(this.folder, PIN_FILE, text, { mode: 0o600, place: 'replace' });
  }

  /** One line appended whole (O_APPEND), so that two programs pinning at once lose neither. */
  #appendPin(name: string, fingerprint: string): void {
    try {
      appendWhole(join(this.folder, PIN_FILE), this.#pinLine(name, fingerprint), {
        mode: 0o600,
        durable: true,
      });
    } catch (error) {
      if (error instanceof NotRegularFileError)
        throw keyringError(`file keyring/${PIN_FILE} ${error.message}`);
      throw error;
    }
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
