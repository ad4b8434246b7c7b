/**
 * The ids of the sealed emails a user has opened, and where each was first found, so that a
 * second copy of one (the server storing it again) is told from the email itself. Kept on the
 * client machine in the user's keyring folder, `opened_emails`, one line per email:
 *
 *   ~<base64 of a LocalSeal record of {"id": hex, "at": receivedAt, "sid"?: server id, "opened": ms}>
 *
 * sealed to the user's own key (local-seal.ts), so the file names nobody and says nothing of
 * what was read; a line that does not open (altered, another user's) is not used. Lines are
 * appended whole (O_APPEND), so the terminal client and the gateway can both write.
 *
 * Bounded: past 2 x MAX_REMEMBERED lines, the newest MAX_REMEMBERED are kept (the file
 * rewritten whole); an email older than that, replayed, is no longer recognised (its signed
 * time still shows its age).
 *
 * The records read are kept while the file's size, time and inode stay as this process left
 * them: the content search's indexer opens every sealed email of an inbox, and reading the
 * whole file again for each would cost 10,000 x 10,000 openings of records.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import {
  appendWhole,
  FileTooLargeError,
  readRegularFile,
  writeFileSafely,
} from '../../common/safe-files.js';
import { LocalSealError, type LocalSeal } from './local-seal.js';

export const OPENED_FILE = 'opened_emails';
const KIND = 'opened email';
const SEALED_LINE = '~';
export const MAX_REMEMBERED = 10_000;
/** A line is about 200 bytes; twice the bound of lines, with room. */
const MAX_FILE_BYTES = 2 * MAX_REMEMBERED * 512;

/** Where a copy of an email is: the server's receive time, and its id where the session lists ids. */
export interface EmailPlace {
  receivedAt: string;
  serverId?: string;
}

/** The copy of an email first opened, when another copy is opened. */
export interface FirstCopy {
  receivedAt: string;
  openedAtMs: number;
}

interface OpenedRecord {
  id: string;
  at: string;
  sid?: string;
  opened: number;
}

/** A record as written by this module (no package here: the session child is one bundle without any). */
function asRecord(value: unknown): OpenedRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, at, sid, opened } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) return undefined;
  if (typeof at !== 'string' || at.length > 64) return undefined;
  if (sid !== undefined && (typeof sid !== 'string' || sid.length > 128)) return undefined;
  if (typeof opened !== 'number' || !Number.isSafeInteger(opened) || opened < 0) return undefined;
  return { id, at, ...(sid === undefined ? {} : { sid }), opened };
}

/** One email at two places is one copy when the receive times agree and the ids do where both are known. */
const samePlace = (record: OpenedRecord, place: EmailPlace): boolean =>
  record.at === place.receivedAt &&
  (record.sid === undefined || place.serverId === undefined || record.sid === place.serverId);

interface FileState {
  size: number;
  mtimeMs: number;
  ino: number;
}

function fileState(path: string): FileState | undefined {
  try {
    const { size, mtimeMs, ino } = lstatSync(path);
    return { size, mtimeMs, ino };
  } catch {
    return undefined;
  }
}

const sameState = (a: FileState | undefined, b: FileState | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.size === b.size &&
  a.mtimeMs === b.mtimeMs &&
  a.ino === b.ino;

export class OpenedEmails {
  readonly #folder: string;
  readonly #seal: LocalSeal;
  readonly #max: number;
  #cache: { state: FileState; records: OpenedRecord[] } | undefined;

  constructor(folder: string, seal: LocalSeal, maxRemembered = MAX_REMEMBERED) {
    this.#folder = folder;
    this.#seal = seal;
    this.#max = maxRemembered;
  }

  /**
   * Records the email's id at this place the first time it is opened, and returns undefined;
   * for a copy found at another place, returns where the first was (and records nothing, so the
   * copy stays a copy however often it is opened).
   */
  opened(emailId: Buffer, place: EmailPlace, nowMs = Date.now()): FirstCopy | undefined {
    const id = emailId.toString('hex');
    const records = this.#records();
    const same = records.filter((record) => record.id === id);
    if (same.some((record) => samePlace(record, place))) return undefined;
    const [first] = same;
    if (first) return { receivedAt: first.at, openedAtMs: first.opened };
    const record: OpenedRecord = {
      id,
      at: place.receivedAt,
      ...(place.serverId === undefined ? {} : { sid: place.serverId }),
      opened: nowMs,
    };
    if (records.length + 1 > 2 * this.#max) this.#rewrite([...records, record].slice(-this.#max));
    else this.#append([record]);
    return undefined;
  }

  /**
   * Records many first openings at once, in the order given (oldest first), with one append:
   * as `opened` for each, for an indexer that opened a whole inbox.
   */
  openedAll(openings: readonly { emailId: Buffer; place: EmailPlace }[], nowMs = Date.now()): void {
    const records = this.#records();
    const byId = new Map<string, OpenedRecord[]>();
    for (const record of records) byId.set(record.id, [...(byId.get(record.id) ?? []), record]);
    const fresh: OpenedRecord[] = [];
    for (const { emailId, place } of openings) {
      const id = emailId.toString('hex');
      // Only the first place of an id is recorded; a second place is a copy of it.
      if (byId.has(id)) continue;
      const record: OpenedRecord = {
        id,
        at: place.receivedAt,
        ...(place.serverId === undefined ? {} : { sid: place.serverId }),
        opened: nowMs,
      };
      byId.set(id, [record]);
      fresh.push(record);
    }
    if (fresh.length === 0) return;
    if (records.length + fresh.length > 2 * this.#max)
      this.#rewrite([...records, ...fresh].slice(-this.#max));
    else this.#append(fresh);
  }

  #append(fresh: readonly OpenedRecord[]): void {
    const path = join(this.#folder, OPENED_FILE);
    const before = this.#cache?.state;
    const lines = fresh.map((record) => this.#line(record)).join('');
    appendWhole(path, lines, { mode: 0o600, durable: true });
    const after = fileState(path);
    // Kept only when the file grew by these lines alone (another program may append too).
    if (this.#cache && before && after && after.size === before.size + Buffer.byteLength(lines))
      this.#cache = { state: after, records: [...this.#cache.records, ...fresh] };
    else this.#cache = undefined;
  }

  #line(record: OpenedRecord): string {
    const sealed = this.#seal.seal(KIND, Buffer.from(JSON.stringify(record), 'utf8'));
    return `${SEALED_LINE}${sealed.toString('base64')}\n`;
  }

  #rewrite(records: readonly OpenedRecord[]): void {
    const text = records.map((record) => this.#line(record)).join('');
    writeFileSafely(this.#folder, OPENED_FILE, text, { mode: 0o600, place: 'replace' });
    this.#cache = undefined;
  }

  /** The records that open with this user's key, oldest first. */
  #records(): OpenedRecord[] {
    const path = join(this.#folder, OPENED_FILE);
    const state = fileState(path);
    if (this.#cache && sameState(this.#cache.state, state)) return this.#cache.records;
    const records = this.#read();
    const now = fileState(path);
    this.#cache = now && sameState(state, now) ? { state: now, records } : undefined;
    return records;
  }

  #read(): OpenedRecord[] {
    let bytes: Buffer | undefined;
    try {
      bytes = readRegularFile(join(this.#folder, OPENED_FILE), MAX_FILE_BYTES, {
        others: 'throw',
      });
    } catch (error) {
      if (!(error instanceof FileTooLargeError)) throw error;
      // Grown past its bound by another program: started again rather than read.
      this.#rewrite([]);
      return [];
    }
    const records: OpenedRecord[] = [];
    for (const line of (bytes?.toString('utf8') ?? '').split('\n')) {
      if (!line.startsWith(SEALED_LINE)) continue;
      try {
        const plain = this.#seal.open(KIND, Buffer.from(line.slice(SEALED_LINE.length), 'base64'));
        const record = asRecord(JSON.parse(plain.toString('utf8')));
        if (record) records.push(record);
      } catch (error) {
        if (!(error instanceof LocalSealError) && !(error instanceof SyntaxError)) throw error;
      }
    }
    return records;
  }
}
