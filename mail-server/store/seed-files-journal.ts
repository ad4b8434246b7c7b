/**
 * The files of an inbox's index (seed-files-index.ts), kept in the home's `.index/` folder so that
 * an inbox folder holds nothing but emails:
 *
 *   <user>.index    a snapshot, replaced whole (temporary file, rename):
 *                   {"version":4,"journal":{"ino":I,"size":S},"bytes":B,"rows":[[file,from,receivedAt,title,id,bytes],…]}
 *                   `journal` is how much of which journal file the rows already include, `bytes`
 *                   the sum of the rows' sizes (so that a quota is counted from these first
 *                   bytes and the journal, seed-files-usage.ts, without the rows).
 *   <user>.journal  what happened since, one line per event, appended with O_APPEND (one
 *                   write each, so that lines of several processes never mix):
 *                   +[file,from,receivedAt,title,id,bytes,"time"]   an email delivered
 *                   -["file","time",bytes]                 an email removed
 *                   "time" is the inbox folder's modification time in ns, read just after the
 *                   change (older lines have none, and a removal then names the file alone);
 *                   a removal's bytes are its file's size (older lines have none).
 *
 * Neither is ever trusted over the inbox folder: a reader checks the rows against the folder's
 * file names (seed-files-index.ts). A line cut short by a crash, or anything unreadable, is
 * skipped; what it described is found again in the folder.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { appendWhole, writeFileSafely } from '../../common/safe-files.js';
import type { InboxEntry } from './seed-files-email.js';

/**
 * 4: the rows' total size in the first bytes (version 3 had none, version 2 no sizes at all; such
 * a snapshot is rebuilt from the files at the inbox's next listing).
 */
const SNAPSHOT_VERSION = 4;

/** Which journal file (inode) and how many of its bytes a snapshot includes. */
export interface JournalMark {
  ino: number;
  size: number;
}

export interface Snapshot {
  journal: JournalMark;
  rows: readonly InboxEntry[];
}

/** What a snapshot's first bytes say: the journal it includes and the sum of its rows' sizes. */
export interface SnapshotHead {
  journal: JournalMark;
  bytes: number;
}

/**
 * An event, and the inbox folder's modification time (ns) just after it, when the writer knew
 * it: a reader whose folder shows no later time needs not read the folder's names.
 */
export type JournalEvent =
  | { kind: 'added'; entry: InboxEntry; folderTime?: bigint }
  | { kind: 'removed'; file: string; folderTime?: bigint; bytes?: number };

export const indexFiles = (
  folder: string,
  user: string,
): { snapshot: string; journal: string; folder: string } => ({
  folder,
  snapshot: join(folder, `${user}.index`),
  journal: join(folder, `${user}.journal`),
});

const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

type Row = [string, string, string, string, string, number];

const isRow = (value: unknown): value is Row =>
  Array.isArray(value) &&
  value.length === 6 &&
  value.slice(0, 5).every((part) => typeof part === 'string') &&
  Number.isSafeInteger(value[5]) &&
  (value[5] as number) >= 0;

const entryOf = ([file, from, receivedAt, title, id, bytes]: Row): InboxEntry => ({
  file,
  from,
  receivedAt,
  title,
  id,
  bytes,
});

const rowOf = (entry: InboxEntry): Row => [
  entry.file,
  entry.from,
  entry.receivedAt,
  entry.title,
  entry.id,
  entry.bytes,
];

/** A file as last seen: a snapshot replaced or grown since has another mark. */
export interface FileMark {
  ino: number;
  size: number;
  mtimeMs: number;
}

export const sameFileMark = (a: FileMark, b: FileMark | undefined): boolean =>
  a.ino === b?.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** A file's identity and size, or undefined when there is no regular file. */
export function fileMark(path: string): FileMark | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_NO_FOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    return stats.isFile()
      ? { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs }
      : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes of a regular file from `offset` (at most `limit`), with the file's inode; undefined when
 * there is none.
 */
function readFrom(
  path: string,
  offset: number,
  limit = Infinity,
): { ino: number; data: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_NO_FOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return undefined;
    const data = Buffer.allocUnsafe(Math.max(0, Math.min(stats.size - offset, limit)));
    let filled = 0;
    while (filled < data.length) {
      const read = readSync(fd, data, filled, data.length - filled, offset + filled);
      if (read === 0) break;
      filled += read;
    }
    return { ino: stats.ino, data: data.subarray(0, filled) };
  } finally {
    closeSync(fd);
  }
}

/** The snapshot, or undefined when it is missing, of another version or unreadable. */
export function readSnapshot(path: string): Snapshot | undefined {
  const file = readFrom(path, 0);
  if (!file) return undefined;
  try {
    const parsed = JSON.parse(file.data.toString('utf8')) as {
      version?: unknown;
      journal?: { ino?: unknown; size?: unknown };
      rows?: unknown;
    };
    const { ino, size } = parsed.journal ?? {};
    if (
      parsed.version !== SNAPSHOT_VERSION ||
      typeof ino !== 'number' ||
      typeof size !== 'number' ||
      !Array.isArray(parsed.rows) ||
      !parsed.rows.every(isRow)
    )
      return undefined;
    return { journal: { ino, size }, rows: parsed.rows.map(entryOf) };
  } catch {
    return undefined;
  }
}

/** A snapshot's first bytes: its version, journal mark and size, as writeSnapshot puts them. */
const HEAD_BYTES = 128;
const HEAD_PATTERN = new RegExp(
  `^\\{"version":${SNAPSHOT_VERSION},"journal":\\{"ino":(\\d{1,16}),"size":(\\d{1,16})\\},"bytes":(\\d{1,16}),`,
);

/**
 * Which journal, up to where, a snapshot includes, and its rows' total size, read from its
 * first bytes only (its rows cost the whole inbox); undefined when it is missing or of another
 * form.
 */
export function readSnapshotHead(path: string): SnapshotHead | undefined {
  const head = readFrom(path, 0, HEAD_BYTES);
  const match = head ? HEAD_PATTERN.exec(head.data.toString('latin1')) : null;
  if (!match) return undefined;
  const [ino, size, bytes] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return [ino, size, bytes].every(Number.isSafeInteger)
    ? { journal: { ino, size }, bytes }
    : undefined;
}

/** Replaces the snapshot whole (common/safe-files.ts). */
export function writeSnapshot(folder: string, path: string, snapshot: Snapshot): void {
  const text = JSON.stringify({
    version: SNAPSHOT_VERSION,
    journal: snapshot.journal,
    bytes: snapshot.rows.reduce((sum, row) => sum + row.bytes, 0),
    rows: snapshot.rows.map(rowOf),
  });
  writeFileSafely(folder, basename(path), text, { mode: 0o600, place: 'replace' });
}

function eventLine(event: JournalEvent): string {
  const time = event.folderTime === undefined ? [] : [String(event.folderTime)];
  if (event.kind === 'added') return `+${JSON.stringify([...rowOf(event.entry), ...time])}\n`;
  // The size only after a time: a removal's fields keep their places.
  const bytes = time.length > 0 && event.bytes !== undefined ? [event.bytes] : [];
  return `-${JSON.stringify([event.file, ...time, ...bytes])}\n`;
}

const TIME = /^\d{1,24}$/;

/** `[...fields]` or `[...fields, time]`: the fields and the folder time, if well formed. */
function withTime(
  value: unknown,
  fields: number,
): { fields: unknown[]; time?: bigint } | undefined {
  if (!Array.isArray(value)) return undefined;
  if (value.length === fields) return { fields: value };
  const time: unknown = value[fields];
  if (value.length !== fields + 1 || typeof time !== 'string' || !TIME.test(time)) return undefined;
  return { fields: value.slice(0, fields), time: BigInt(time) };
}

function parseEvent(line: string): JournalEvent | undefined {
  try {
    const value: unknown = JSON.parse(line.slice(1));
    if (line.startsWith('+')) {
      const parts = withTime(value, 6);
      if (!parts || !isRow(parts.fields)) return undefined;
      const entry = entryOf(parts.fields);
      return parts.time === undefined
        ? { kind: 'added', entry }
        : { kind: 'added', entry, folderTime: parts.time };
    }
    if (!line.startsWith('-')) return undefined;
    // A removal of version 3 names the file alone.
    if (typeof value === 'string') return { kind: 'removed', file: value };
    // Its size after the time (version 4): not needed to apply it, the row has its own.
    const sized = Array.isArray(value) && value.length === 3 ? value.slice(0, 2) : value;
    const parts = withTime(sized, 1);
    const file = parts?.fields[0];
    if (typeof file !== 'string') return undefined;
    return parts?.time === undefined
      ? { kind: 'removed', file }
      : { kind: 'removed', file, folderTime: parts.time };
  } catch {
    // A line cut short or mixed with another: what it said is found again in the folder.
  }
  return undefined;
}

/** Appends one event as a single write; the journal is a cache (common/safe-files.ts). */
export function appendEvent(path: string, event: JournalEvent): void {
  appendWhole(path, eventLine(event), { mode: 0o600, durable: false });
}

/**
 * The journal's events from byte `offset` on (only whole lines), the journal's inode, and the
 * offset just past the last whole line.
 */
export function readJournal(
  path: string,
  offset: number,
): { ino: number; events: JournalEvent[]; end: number } | undefined {
  const file = readFrom(path, offset);
  if (!file) return undefined;
  const lastNewline = file.data.lastIndexOf(0x0a);
  const whole = lastNewline < 0 ? '' : file.data.toString('utf8', 0, lastNewline);
  const events = whole === '' ? [] : whole.split('\n').map(parseEvent);
  return {
    ino: file.ino,
    events: events.filter((event) => event !== undefined),
    end: offset + lastNewline + 1,
  };
}

/** Starts the journal anew (an empty file in its place); returns its inode. */
export function restartJournal(folder: string, path: string): number {
  return writeFileSafely(folder, basename(path), '', { mode: 0o600, place: 'replace' }).ino;
}

const [PLUS, MINUS, QUOTE, COMMA, CLOSE, NEWLINE] = [0x2b, 0x2d, 0x22, 0x2c, 0x5d, 0x0a];
const isDigit = (byte: number | undefined): boolean =>
  byte !== undefined && byte >= 0x30 && byte <= 0x39;

/**
 * The size a journal line adds (+) or takes away (-), read from its end, which the server
 * writes and a sender never chooses (`…,"id",bytes,"time"]`, `-[…,"time",bytes]`); undefined
 * when the line does not say (a removal of version 3, a line of another form).
 */
function sizeChange(data: Buffer, start: number, end: number): number | undefined {
  const sign = data[start];
  if (data[end - 1] !== CLOSE || (sign !== PLUS && sign !== MINUS)) return undefined;
  let at = end - 2;
  if (sign === PLUS && data[at] === QUOTE) {
    // The folder time of an addition: skipped.
    at--;
    while (at > start && isDigit(data[at])) at--;
    if (data[at] !== QUOTE || data[at - 1] !== COMMA) return undefined;
    at -= 2;
  }
  const last = at;
  while (at > start && isDigit(data[at])) at--;
  // The number follows a string: the id of an addition, the time of a removal.
  if (at === last || last - at > 15 || data[at] !== COMMA || data[at - 1] !== QUOTE)
    return undefined;
  const bytes = Number(data.toString('latin1', at + 1, last + 1));
  return sign === PLUS ? bytes : -bytes;
}

/**
 * The sum of the size changes of the journal's whole lines from byte `offset` on, without
 * parsing them (a delivery's quota check reads every line other processes appended since its
 * last one), the journal's inode, and the offset just past the last whole line; `sum` is
 * undefined when a line does not say its size. Undefined when there is no journal.
 */
export function readJournalSizes(
  path: string,
  offset: number,
): { ino: number; sum: number | undefined; end: number } | undefined {
  const file = readFrom(path, offset);
  if (!file) return undefined;
  const { data } = file;
  let sum: number | undefined = 0;
  let start = 0;
  for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE, start)) {
    if (newline > start && sum !== undefined) {
      const change = sizeChange(data, start, newline);
      sum = change === undefined ? undefined : sum + change;
    }
    start = newline + 1;
  }
  return { ino: file.ino, sum, end: offset + start };
}
