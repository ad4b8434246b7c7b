/**
 * What the user did to their inbox that the protocol cannot keep: which emails are read, which
 * are in the Trash (and since when), and which were emptied from a Trash that cannot delete on
 * the server (the classic protocol). One file per user on the client machine,
 * `DATA/<user>/marks.sealed`, one LocalSeal record (local-seal.ts) of JSON:
 *
 *   {"read": [mark...], "trash": [{"mark", "id"?, "at"}...], "gone": [mark...]}
 *
 * sealed to the user's own key, so it names no email to anyone else and an altered file does not
 * open (it is then started afresh: marks are a convenience, losing them loses no mail). A mark
 * is the browser's name for an email (its sender, time and title hashed), the same on every
 * protocol. Written whole (common/safe-files.ts) after each change; a few hundred KB for 10,000
 * emails.
 *
 * Bounded: MAX_MARKS in each list (the oldest go first); the file is read up to MAX_FILE_BYTES.
 */
import { join } from 'node:path';
import { FileTooLargeError, readRegularFile, writeFileSafely } from '../../common/safe-files.js';
import { LocalSealError, type LocalSeal } from '../protocol-client/local-seal.js';
import { MARK_PATTERN } from '../mark-limits.js';
import { privateFolder } from './private-files.js';

export const MARKS_FILE = 'marks.sealed';
export const MAX_MARKS = 20_000;
/** A mark is up to 64 characters, an email id up to 128: three full lists, with room. */
const MAX_FILE_BYTES = 3 * MAX_MARKS * 220;
const KIND = 'mailbox marks';

export interface TrashEntry {
  mark: string;
  /** The email's id on the server, where the session lists ids: what a delete needs. */
  id?: string;
  /** When it went to the Trash (ms since the epoch). */
  at: number;
}

export interface MarksContent {
  read: Set<string>;
  trash: Map<string, TrashEntry>;
  gone: Set<string>;
}

const isMark = (value: unknown): value is string =>
  typeof value === 'string' && MARK_PATTERN.test(value);

function asTrashEntry(value: unknown): TrashEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { mark, id, at } = value as Record<string, unknown>;
  if (!isMark(mark)) return undefined;
  if (id !== undefined && (typeof id !== 'string' || id === '' || id.length > 128))
    return undefined;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return undefined;
  return { mark, ...(id === undefined ? {} : { id }), at };
}

/** The newest `MAX_MARKS` of a list (they are kept in the order they were added). */
const newest = <T>(values: readonly T[]): T[] => values.slice(-MAX_MARKS);

function parseMarks(json: string): MarksContent {
  const value: unknown = JSON.parse(json);
  const fields =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const list = (name: string): unknown[] => {
    const entries = fields[name];
    return Array.isArray(entries) ? newest(entries) : [];
  };
  const trash = new Map<string, TrashEntry>();
  for (const entry of list('trash').map(asTrashEntry)) if (entry) trash.set(entry.mark, entry);
  return {
    read: new Set(list('read').filter(isMark)),
    trash,
    gone: new Set(list('gone').filter(isMark)),
  };
}

const empty = (): MarksContent => ({ read: new Set(), trash: new Map(), gone: new Set() });

export class MailboxMarks {
  readonly #dataDir: string;
  readonly #username: string;
  readonly #seal: LocalSeal;
  #content: MarksContent | undefined;

  constructor(dataDir: string, username: string, seal: LocalSeal) {
    this.#dataDir = dataDir;
    this.#username = username;
    this.#seal = seal;
  }

  /** The marks as last read or changed here; read from the file the first time. */
  get content(): MarksContent {
    this.#content ??= this.#read();
    return this.#content;
  }

  /**
   * Reads the file again before a change: another session of the same user (another browser,
   * or a tab with a session of its own) may have written it since, and a change made to an
   * older copy would write over theirs.
   */
  refresh(): MarksContent {
    this.#content = this.#read();
    return this.#content;
  }

  /** Writes the marks whole (a crash leaves the file before or after, never between). */
  save(): void {
    const { read, trash, gone } = this.content;
    // Sets and maps iterate in insertion order: the bound drops the oldest.
    if (read.size > MAX_MARKS)
      this.#content = { ...this.content, read: new Set(newest([...read])) };
    if (gone.size > MAX_MARKS)
      this.#content = { ...this.content, gone: new Set(newest([...gone])) };
    if (trash.size > MAX_MARKS)
      this.#content = { ...this.content, trash: new Map(newest([...trash])) };
    const json = JSON.stringify({
      read: [...this.content.read],
      trash: [...this.content.trash.values()],
      gone: [...this.content.gone],
    });
    const record = this.#seal.seal(KIND, Buffer.from(json, 'utf8'));
    writeFileSafely(this.#folder(true), MARKS_FILE, record, { mode: 0o600, place: 'replace' });
  }

  #folder(create: boolean): string {
    const folder = privateFolder(this.#dataDir, [this.#username], {
      create,
      shownRoot: "the gateway's data folder",
    });
    return folder ?? join(this.#dataDir, this.#username);
  }

  #read(): MarksContent {
    let data: Buffer | undefined;
    try {
      data = readRegularFile(join(this.#folder(false), MARKS_FILE), MAX_FILE_BYTES, {
        others: 'throw',
      });
    } catch (error) {
      // Too large to be ours: started afresh (the next save replaces it).
      if (error instanceof FileTooLargeError) return empty();
      throw error;
    }
    if (!data) return empty();
    try {
      return parseMarks(this.#seal.open(KIND, data).toString('utf8'));
    } catch (error) {
      if (error instanceof LocalSealError || error instanceof SyntaxError) return empty();
      throw error;
    }
  }
}
