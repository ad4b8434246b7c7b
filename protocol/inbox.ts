import { EMPTY_INBOX } from './texts.js';
import { sharedPrefix } from '../common/shared-prefix.js';
import { printable } from './text.js';

/** One row of the inbox listing (section G): index, sender, receive time, title. */
export interface InboxRow {
  index: number;
  from: string;
  receivedAt: string;
  title: string;
  /** The email's id, on sessions that list ids (the enhanced protocol from session version 2). */
  id?: string;
}

const HEADERS = ['Index', 'From', 'DateTime', 'Title'] as const;
const MIN_WIDTHS = [7, 10, 30] as const;

/**
 * The listing the server sends: the sample's columns, aligned. Control characters in a title
 * are shown as visible symbols so one title cannot break the table.
 */
export function formatInboxListing(rows: readonly InboxRow[]): string {
  return formatListingFrom(undefined, rows).text;
}

/** A formatted listing, kept so that the next listing of the same inbox can start from it. */
export interface FormattedListing {
  readonly rows: readonly InboxRow[];
  readonly widths: readonly number[];
  /** The listing as sent: UTF-8. */
  readonly bytes: Buffer;
  /** The listing as text (decoded from `bytes` when asked for). */
  readonly text: string;
  /** Where each line ends in `bytes`, its newline included: the header's, then each row's. */
  readonly lineEnds: readonly number[];
  /** For each row, the widest each column is up to it (COLUMNS numbers a row). */
  readonly widest: readonly number[];
}

/** The columns that are padded to a width (the title, last, is not). */
const COLUMNS = MIN_WIDTHS.length;

const cellsOf = (row: InboxRow): string[] => [
  String(row.index),
  printable(row.from),
  row.receivedAt,
  printable(row.title),
];

/** The header's or a row's line: each column but the last padded to its width. */
const lineOf = (columns: readonly string[], widths: readonly number[]): string =>
  // Written out, not mapped and joined: session processes run without V8's compilers.
  (columns[0] ?? '').padEnd(widths[0] ?? 0) +
  (columns[1] ?? '').padEnd(widths[1] ?? 0) +
  (columns[2] ?? '').padEnd(widths[2] ?? 0) +
  (columns[3] ?? '');

function listing(
  rows: readonly InboxRow[],
  widths: readonly number[],
  bytes: Buffer,
  lineEnds: readonly number[],
  widest: readonly number[],
): FormattedListing {
  let text: string | undefined;
  return {
    rows,
    widths,
    bytes,
    lineEnds,
    widest,
    get text() {
      text ??= bytes.toString('utf8');
      return text;
    },
  };
}

/** `lines`, each ended by a newline, as UTF-8; each one's end pushed onto `lineEnds`. */
function encodeLines(lines: readonly string[], lineEnds: number[], start: number): Buffer {
  const first = lineEnds.length;
  let end = start;
  // Counted in characters first: the same as bytes when all are ASCII, the common case.
  for (const line of lines) {
    end += line.length + 1;
    lineEnds.push(end);
  }
  const bytes = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8');
  if (bytes.length !== end - start) {
    end = start;
    lines.forEach((line, i) => {
      end += Buffer.byteLength(line, 'utf8') + 1;
      lineEnds[first + i] = end;
    });
  }
  return bytes;
}

/**
 * `rows` formatted as formatInboxListing does, starting from `previous` (the session's last
 * listing): the lines of the rows it shares with it (the same objects, found without a scan
 * when both are versions of one array, common/shared-prefix.ts) are its bytes as they were,
 * and only the rows from the first change on are formatted. When a change widens or narrows a
 * column, every line is laid out again. The bytes are those of a listing made from scratch.
 */
export function formatListingFrom(
  previous: FormattedListing | undefined,
  rows: readonly InboxRow[],
): FormattedListing {
  if (previous?.rows === rows) return previous;
  if (rows.length === 0) return listing(rows, [], Buffer.from(`${EMPTY_INBOX}\n`), [], []);
  const kept = previous && previous.rows.length > 0 ? sharedPrefix(previous.rows, rows) : 0;
  const widest = kept > 0 && previous ? previous.widest.slice(0, kept * COLUMNS) : [];
  const cells: string[][] = [];
  for (let i = kept; i < rows.length; i++) {
    const columns = cellsOf(rows[i] as InboxRow);
    cells.push(columns);
    const [index = '', from = '', time = ''] = columns;
    const at = (i - 1) * COLUMNS;
    // Written out, not looped: session processes run without V8's compilers.
    widest.push(
      Math.max(i > 0 ? (widest[at] ?? 0) : MIN_WIDTHS[0], index.length + 2),
      Math.max(i > 0 ? (widest[at + 1] ?? 0) : MIN_WIDTHS[1], from.length + 2),
      Math.max(i > 0 ? (widest[at + 2] ?? 0) : MIN_WIDTHS[2], time.length + 2),
    );
  }
  const widths = widest.slice((rows.length - 1) * COLUMNS);
  if (previous && kept > 0 && widths.every((width, column) => width === previous.widths[column])) {
    const lineEnds = previous.lineEnds.slice(0, kept + 1);
    const start = lineEnds[kept] ?? 0;
    const added = encodeLines(
      cells.map((columns) => lineOf(columns, widths)),
      lineEnds,
      start,
    );
    const bytes = Buffer.concat([previous.bytes.subarray(0, start), added], start + added.length);
    return listing(rows, widths, bytes, lineEnds, widest);
  }
  // Laid out anew: the columns' widths changed (or there is nothing to start from).
  const all = kept > 0 ? rows.slice(0, kept).map(cellsOf).concat(cells) : cells;
  const lineEnds: number[] = [];
  const bytes = encodeLines(
    [lineOf(HEADERS, widths), ...all.map((columns) => lineOf(columns, widths))],
    lineEnds,
    0,
  );
  return listing(rows, widths, bytes, lineEnds, widest);
}

// `s`: a title is the rest of its line whatever it holds (another server's listing may carry
// U+2028 in one, which `.` would stop at).
const ROW = /^\s*(\d+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?)(\s+)(.*)$/s;

/**
 * Reads a listing back into rows. Takes this server's aligned table and looser tables of
 * other implementations of the protocol; lines that are not rows are ignored.
 */
export function parseInboxListing(text: string): InboxRow[] {
  const lines = text.split('\n');
  const header = lines.find((line) => line.trimStart().startsWith('Index'));
  const titleColumn = header?.indexOf('Title') ?? -1;
  const rows: InboxRow[] = [];
  for (const line of lines) {
    const match = ROW.exec(line);
    if (!match) continue;
    const [, index = '', from = '', receivedAt = '', gap = '', rest = ''] = match;
    const titleStart = line.length - rest.length;
    // In an aligned table the title starts at its column, keeping a title's own leading spaces.
    const title =
      titleColumn >= titleStart - gap.length && titleColumn <= titleStart
        ? line.slice(titleColumn)
        : rest;
    rows.push({ index: Number(index), from, receivedAt, title });
  }
  return rows;
}
