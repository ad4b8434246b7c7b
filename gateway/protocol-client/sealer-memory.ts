/**
 * Who has sent this user sealed mail before, as Autocrypt remembers that a correspondent seals:
 * a plain email in one of their names is then worth a strong warning, since they would have
 * sealed it. Kept beside the keyring's pins, in `keyring/sealed_senders`, one line per sender,
 * each sealed to the user's own key (`~` and the base64 of a local-seal.ts record), so that the
 * file names nobody and a line written by someone else does not count.
 *
 * Bounded: at most MAX_SEALERS names are remembered (the first ones); the file is read up to
 * MAX_FILE_BYTES. A line that does not open is ignored: removing lines only loses warnings,
 * which a key in the keyring still gives for most correspondents.
 */
import { join } from 'node:path';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import { appendWhole, readRegularFile } from '../../common/safe-files.js';
import { LocalSealError, type LocalSeal } from './local-seal.js';

export const SEALERS_FILE = 'sealed_senders';
export const MAX_SEALERS = 5_000;
/** A sealed line of a 64-character name is under 150 bytes. */
const MAX_FILE_BYTES = MAX_SEALERS * 160;
const KIND = 'sealed sender';
const SEALED_LINE = '~';

export class SealerMemory {
  readonly #folder: string;
  readonly #seal: LocalSeal;
  #known: Set<string> | undefined;
  /** The file is over its bound: nothing more is appended to it. */
  #full = false;

  /** `folder` is the user's keyring folder (made by the Keyring before anything is written here). */
  constructor(folder: string, seal: LocalSeal) {
    this.#folder = folder;
    this.#seal = seal;
  }

  /** The names remembered; read once, then kept up to date by remember(). */
  all(): ReadonlySet<string> {
    return this.#names();
  }

  #names(): Set<string> {
    this.#known ??= this.#read();
    return this.#known;
  }

  has(name: string): boolean {
    return this.all().has(name);
  }

  /** Remembers that `name` sent a sealed email whose signature held; false when not written. */
  remember(name: string): boolean {
    const known = this.#names();
    if (known.has(name) || !USERNAME_PATTERN.test(name)) return false;
    if (this.#full || known.size >= MAX_SEALERS) return false;
    const record = this.#seal.seal(KIND, Buffer.from(name, 'utf8')).toString('base64');
    appendWhole(join(this.#folder, SEALERS_FILE), `${SEALED_LINE}${record}\n`, {
      mode: 0o600,
      durable: true,
    });
    known.add(name);
    return true;
  }

  #read(): Set<string> {
    // Only the first MAX_FILE_BYTES are read; a file that large, which this program never
    // writes, gets nothing more appended.
    const data = readRegularFile(join(this.#folder, SEALERS_FILE), MAX_FILE_BYTES, {
      whole: false,
      others: 'throw',
    });
    this.#full = (data?.length ?? 0) >= MAX_FILE_BYTES;
    const names = new Set<string>();
    for (const line of (data?.toString('utf8') ?? '').split('\n')) {
      if (!line.startsWith(SEALED_LINE) || names.size >= MAX_SEALERS) continue;
      try {
        const name = this.#seal
          .open(KIND, Buffer.from(line.slice(SEALED_LINE.length), 'base64'))
          .toString('utf8');
        if (USERNAME_PATTERN.test(name)) names.add(name);
      } catch (error) {
        if (!(error instanceof LocalSealError)) throw error;
      }
    }
    return names;
  }
}
