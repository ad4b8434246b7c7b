/**
 * The keyring's `known_keys` (keyring.ts): the fingerprint pinned for each name the first time
 * its key is used, one line per pin, each sealed to the user's own key when a LocalSeal is given
 * (`~<base64 of the sealed record>`). A file of plain pins is sealed at its first use; plain
 * lines beside sealed ones are ignored.
 */
import { join } from 'node:path';
import { ProtocolError } from '../../protocol/errors.js';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import { LocalSealError, type LocalSeal } from './local-seal.js';
import {
  appendWhole,
  FileTooLargeError,
  NotRegularFileError,
  readRegularFile,
  writeFileSafely,
} from '../../common/safe-files.js';

/**
 * Why a pinned key is trusted, as people are told: it came with the keyring (as
 * server_public.pem, from whoever set this machine up), it was fetched from the server and not
 * compared since, or its owner's fingerprint was compared with it and the user marked it verified.
 */
export type KeyProvenance = 'keyring' | 'server' | 'verified';

export const PIN_FILE = 'known_keys';
const MAX_PIN_FILE_BYTES = 1024 * 1024;
/** A pin, and what it says of the key: nothing (it came with the keyring), `server` or `verified`. */
const PIN_LINE = /^(\S+) (SHA256:[A-Za-z0-9+/]{43})(?: (server|verified))?$/;

export type PinNote = '' | 'server' | 'verified';
export interface Pin {
  name: string;
  fingerprint: string;
  note: PinNote;
}

/** A key's provenance from its pins: a `verified` pin outranks the others. */
export function provenanceOf(pins: readonly Pin[], fingerprint: string): KeyProvenance {
  const notes = pins.filter((pin) => pin.fingerprint === fingerprint).map((pin) => pin.note);
  if (notes.includes('verified')) return 'verified';
  return notes.includes('server') ? 'server' : 'keyring';
}

/** A problem of the keyring's files, said as such (keyring.ts too). */
export const keyringError = (problem: string): ProtocolError =>
  new ProtocolError('BAD_KEY', `the keyring ${problem}`, { fatal: false });

/** The bytes of a regular file, or undefined when there is none; never through a link. */
export function readKeyringFile(path: string, shown: string, maxBytes: number): Buffer | undefined {
  try {
    return readRegularFile(path, maxBytes, { others: 'throw' });
  } catch (error) {
    if (error instanceof NotRegularFileError) throw keyringError(`file ${shown} ${error.message}`);
    if (error instanceof FileTooLargeError) throw keyringError(`file ${shown} is too large`);
    throw error;
  }
}

const SEALED_PIN = '~';
const PIN_KIND = 'keyring pin';

/** A pin line; refused when it is not `<user> SHA256:<fingerprint>[ server|verified]`. */
function parsePin(line: string, where: string): Pin {
  const match = PIN_LINE.exec(line);
  const [, name = '', fingerprint = '', note = ''] = match ?? [];
  if (!match || !USERNAME_PATTERN.test(name))
    throw keyringError(`${where}, is not "<user> SHA256:<fingerprint>"`);
  return { name, fingerprint, note: note as PinNote };
}

/** Each pinned user's fingerprints, the first pinned first (one, unless the file was edited). */
export function pinsByName(records: readonly Pin[]): Map<string, string[]> {
  const pins = new Map<string, string[]>();
  for (const { name, fingerprint } of records) {
    const known = pins.get(name) ?? [];
    if (!known.includes(fingerprint)) pins.set(name, [...known, fingerprint]);
  }
  return pins;
}

/** The pin file of one keyring folder. */
export class KnownKeys {
  readonly #folder: string;
  readonly #seal: LocalSeal | undefined;

  constructor(folder: string, seal?: LocalSeal) {
    this.#folder = folder;
    this.#seal = seal;
  }

  /** Every pin line, in the file's order. */
  records(): Pin[] {
    const shown = `keyring/${PIN_FILE}`;
    const text =
      readKeyringFile(join(this.#folder, PIN_FILE), shown, MAX_PIN_FILE_BYTES)?.toString('utf8') ??
      '';
    const sealed: Pin[] = [];
    const plain: Pin[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const where = `file ${shown}, line ${i + 1}`;
      if (line.startsWith(SEALED_PIN)) {
        sealed.push(parsePin(this.#open(line, where), where));
      } else plain.push(parsePin(line, where));
    });
    let used = sealed;
    if (!this.#seal) used = plain;
    else if (sealed.length === 0 && plain.length > 0) {
      // Pins written before they were sealed: trusted as they were, and sealed from now on.
      this.replace(plain);
      used = plain;
    }
    return used;
  }

  #open(line: string, where: string): string {
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

  #line({ name, fingerprint, note }: Pin): string {
    const pin = `${name} ${fingerprint}${note === '' ? '' : ` ${note}`}`;
    if (!this.#seal) return `${pin}\n`;
    return `${SEALED_PIN}${this.#seal.seal(PIN_KIND, Buffer.from(pin, 'utf8')).toString('base64')}\n`;
  }

  /** Writes these pins in place of the file's, whole. */
  replace(pins: readonly Pin[]): void {
    const text = pins.map((pin) => this.#line(pin)).join('');
    writeFileSafely(this.#folder, PIN_FILE, text, { mode: 0o600, place: 'replace' });
  }

  /** One line appended whole (O_APPEND), so that two programs pinning at once lose neither. */
  append(pin: Pin): void {
    try {
      appendWhole(join(this.#folder, PIN_FILE), this.#line(pin), {
        mode: 0o600,
        durable: true,
      });
    } catch (error) {
      if (error instanceof NotRegularFileError)
        throw keyringError(`file keyring/${PIN_FILE} ${error.message}`);
      throw error;
    }
  }
}
