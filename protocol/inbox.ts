import { EMPTY_INBOX } from './texts.js';
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
  readonly text: string;
}

const cellsOf = (row: InboxRow): string[] => [
  String(row.index),
  printable(row.from),
  row.receivedAt,
  printable(row.title),
];

function widthsOf(cells: readonly string[][]): number[] {
  // A loop, not Math.max(...cells): spread arguments overflow the stack past ~150,000 rows.
  return MIN_WIDTHS.map((min, column) => {
    let width: number = min;
    for (const cell of cells) width = Math.max(width, (cell[column] ?? '').length + 2);
    return width;
  });
}

const lineOf = (columns: readonly string[], widths: readonly number[]): string =>
  columns
    .map((text, column) => (column < widths.length ? text.padEnd(widths[column] ?? 0) : text))
    .join('');

/**
 * `rows` formatted as formatInboxListing does, reusing `previous` when `rows` only adds rows
 * at its end (the same row objects first) that fit its columns: a session listing a large
 * inbox again formats only its new mail.
 */
export function formatListingFrom(
  previous: FormattedListing | undefined,
  rows: readonly InboxRow[],
): FormattedListing {
  if (previous?.rows === rows) return previous;
  if (rows.length === 0) return { rows, widths: [], text: `${EMPTY_INBOX}\n` };
  if (previous && previous.rows.length > 0 && previous.rows.length <= rows.length) {
    const kept = previous.rows;
    if (kept.every((row, i) => rows[i] === row)) {
      const cells = rows.slice(kept.length).map(cellsOf);
      const { widths } = previous;
      if (widthsOf(cells).every((width, column) => width <= (widths[column] ?? 0))) {
        const added = cells.map((columns) => `${lineOf(columns, widths)}\n`).join('');
        return { rows, widths, text: previous.text + added };
      }
    }
  }
  const cells = rows.map(cellsOf);
  const widths = widthsOf(cells);
  const lines = [lineOf(HEADERS, widths), ...cells.map((columns) => lineOf(columns, widths))];
  return { rows, widths, text: `${lines.join('\n')}\n` };
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
