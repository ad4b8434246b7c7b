/**
 * The files of an inbox's index (seed-files-index.ts), kept in the home's `.index/` folder so that
 * an inbox folder holds nothing but emails:
 *
 *   <user>.index    a snapshot, replaced whole (temporary file, rename):
 *                   {"version":3,"journal":{"ino":I,"size":S},"rows":[[file,from,receivedAt,title,id,bytes],…]}
 *                   `journal` is how much of which journal file the rows already include.
 *   <user>.journal  what happened since, one line per event, appended with O_APPEND (one
 *                   write each, so that lines of several processes never mix):
 *                   +[file,from,receivedAt,title,id,bytes,"time"]   an email delivered
 *                   -["file","time"]                       an email removed
 *                   "time" is the inbox folder's modification time in ns, read just after the
 *                   change (older lines have none, and a removal then names the file alone).
 *
 * Neither is ever trusted over the inbox folder: a reader checks the rows against the folder's
 * file names (seed-files-index.ts). A line cut short by a crash, or anything unreadable, is
 * skipped; what it described is found again in the folder.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { appendWhole, writeFileSafely } from '../../common/safe-files.js';
import type { InboxEntry } from './seed-files-email.js';

/** 3: rows carry the file's size (version 2 had none; such a snapshot is rebuilt from the files). */
const SNAPSHOT_VERSION = 3;

/** Which journal file (inode) and how many of its bytes a snapshot includes. */
export interface JournalMark {
  ino: number;
  size: number;
}

export interface Snapshot {
  journal: JournalMark;
  rows: readonly InboxEntry[];
}

/**
 * An event, and the inbox folder's modification time (ns) just after it, when the writer knew
 * it: a reader whose folder shows no later time needs not read the folder's names.
 */
export type JournalEvent =
  | { kind: 'added'; entry: InboxEntry; folderTime?: bigint }
  | { kind: 'removed'; file: string; folderTime?: bigint };

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

/** A file's identity and size, or undefined when there is no regular file. */
export function fileMark(path: string): { ino: number; size: number; mtimeMs: number } | undefined {
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

/** A snapshot's first bytes: its version and journal mark, as writeSnapshot puts them. */
const MARK_BYTES = 128;
const MARK_PATTERN = new RegExp(
  `^\\{"version":${SNAPSHOT_VERSION},"journal":\\{"ino":(\\d{1,16}),"size":(\\d{1,16})\\},`,
);

/**
 * Which journal, up to where, a snapshot includes, read from its first bytes only (its rows
 * cost the whole inbox); undefined when it is missing or of another form.
 */
export function readSnapshotMark(path: string): JournalMark | undefined {
  const head = readFrom(path, 0, MARK_BYTES);
  const match = head ? MARK_PATTERN.exec(head.data.toString('latin1')) : null;
  if (!match) return undefined;
  const [ino, size] = [Number(match[1]), Number(match[2])];
  return Number.isSafeInteger(ino) && Number.isSafeInteger(size) ? { ino, size } : undefined;
}

/** Replaces the snapshot whole (common/safe-files.ts). */
export function writeSnapshot(folder: string, path: string, snapshot: Snapshot): void {
  const text = JSON.stringify({
    version: SNAPSHOT_VERSION,
    journal: snapshot.journal,
    rows: snapshot.rows.map(rowOf),
  });
  writeFileSafely(folder, basename(path), text, { mode: 0o600, place: 'replace' });
}

function eventLine(event: JournalEvent): string {
  const time = event.folderTime === undefined ? [] : [String(event.folderTime)];
  return event.kind === 'added'
    ? `+${JSON.stringify([...rowOf(event.entry), ...time])}\n`
    : `-${JSON.stringify([event.file, ...time])}\n`;
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
    const parts = withTime(value, 1);
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
