/**
 * The order of an inbox's rows (G.1: oldest first, by the receive time in the header, then by
 * file name), kept as emails come and go without sorting again.
 */
import { receivedTimeSortKey } from '../../protocol/email.js';
import type { InboxEntry } from './seed-files-email.js';

/** Where a receive time's fraction starts: `YYYY-MM-DD HH:MM:SS.ffffff`. */
const FRACTION_AT = 19;

/**
 * An entry's sort key: the time itself when it has its fraction (always, from this server), so
 * that a comparison mostly makes no string and runs no pattern. Not cached per entry: a weak map
 * of every row of every inbox cost more (its look-ups, and the collector's work on it) than the
 * test it saves.
 */
function sortKey({ receivedAt }: InboxEntry): string {
  return receivedAt.charCodeAt(FRACTION_AT) === 0x2e ? receivedAt : receivedTimeSortKey(receivedAt);
}

/** Oldest first, by the receive time in the header, then by file name. */
export function compareEntries(a: InboxEntry, b: InboxEntry): number {
  const [keyA, keyB] = [sortKey(a), sortKey(b)];
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

/** The rows come mostly in order (a snapshot's), which the engine's merge sort takes in one pass. */
export function sortEntries(entries: Iterable<InboxEntry>): InboxEntry[] {
  // Each key looked up once, not at each of the n log n comparisons.
  const keyed = [...entries].map((entry) => ({ entry, key: sortKey(entry) }));
  keyed.sort((a, b) =>
    a.key !== b.key
      ? a.key < b.key
        ? -1
        : 1
      : a.entry.file < b.entry.file
        ? -1
        : a.entry.file > b.entry.file
          ? 1
          : 0,
  );
  return keyed.map(({ entry }) => entry);
}

/** Where `entry` goes among `rows` (in listing order): mostly at the end, found at once. */
export function insertionPoint(rows: readonly InboxEntry[], entry: InboxEntry): number {
  const last = rows.at(-1);
  if (!last || compareEntries(last, entry) < 0) return rows.length;
  let low = 0;
  let high = rows.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(rows[middle] as InboxEntry, entry) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export const sameEntry = (a: InboxEntry, b: InboxEntry): boolean =>
  a.id === b.id &&
  a.from === b.from &&
  a.receivedAt === b.receivedAt &&
  a.title === b.title &&
  a.bytes === b.bytes;
