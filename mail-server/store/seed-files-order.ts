/**
 * The order of an inbox's rows (G.1: oldest first, by the receive time in the header, then by
 * file name), kept as emails come and go without sorting again.
 */
import { receivedTimeSortKey } from '../../protocol/email.js';
import type { InboxEntry } from './seed-files-email.js';

/** Each entry's sort key, parsed once: a listing after a delivery sorts, it does not parse. */
const sortKeys = new WeakMap<InboxEntry, string>();

function sortKey(entry: InboxEntry): string {
  let key = sortKeys.get(entry);
  if (key === undefined) {
    key = receivedTimeSortKey(entry.receivedAt);
    sortKeys.set(entry, key);
  }
  return key;
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
