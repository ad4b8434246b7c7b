import type { InboxItem } from '../../../gateway/messages.js';

export type SortKey = 'date' | 'from' | 'title';
export type SortDirection = 'asc' | 'desc';
export interface SortOrder {
  key: SortKey;
  direction: SortDirection;
}

/** The protocol's order (by receive time) with the newest first. */
export const DEFAULT_SORT: SortOrder = { key: 'date', direction: 'desc' };

export const SORT_LABELS: Record<SortKey, string> = {
  date: 'Date',
  from: 'Sender',
  title: 'Title',
};

/** Clicking the current key flips its direction; a new key starts with its natural direction. */
export function nextSort(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { key, direction: key === 'date' ? 'desc' : 'asc' };
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Sorts a copy of the list. Dates compare as the protocol's "YYYY-MM-DD HH:MM:SS[.ffffff]" text
 * (which orders like time); the server's index (its order by receive time) breaks ties, so
 * equal keys keep the protocol's order.
 */
export function sortInbox(items: readonly InboxItem[], order: SortOrder): InboxItem[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  const compareKey = (a: InboxItem, b: InboxItem): number => {
    switch (order.key) {
      case 'date':
        return dateKey(a.receivedAt).localeCompare(dateKey(b.receivedAt));
      case 'from':
        return collator.compare(a.from, b.from);
      case 'title':
        return collator.compare(a.title, b.title);
    }
  };
  return [...items].sort((a, b) => sign * (compareKey(a, b) || a.index - b.index));
}

/** Pads a missing fraction so "…:35" and "…:35.5" compare in time order. */
function dateKey(receivedAt: string): string {
  return /\.\d+$/.test(receivedAt) ? receivedAt.padEnd(26, '0') : `${receivedAt}.000000`;
}

/**
 * Folds a fresh listing into the one shown. The server's index names a row in its latest list,
 * so rows are matched on sender, time and title; what was not there before is reported as new.
 */
export function mergeInbox(
  current: readonly InboxItem[],
  fresh: readonly InboxItem[],
): { items: InboxItem[]; added: InboxItem[] } {
  const known = new Set(current.map(identity));
  const added = fresh.filter((item) => !known.has(identity(item)));
  return { items: [...fresh], added };
}

export function identity(item: InboxItem): string {
  return `${item.receivedAt}\u0000${item.from}\u0000${item.title}`;
}

/** The row to move to with j/k (or the arrow keys), clamped to the list. */
export function step(
  list: readonly InboxItem[],
  currentIndex: number | undefined,
  delta: number,
): number | undefined {
  if (list.length === 0) return undefined;
  const position = list.findIndex((item) => item.index === currentIndex);
  if (position === -1) return list[delta > 0 ? 0 : list.length - 1]?.index;
  const next = Math.min(list.length - 1, Math.max(0, position + delta));
  return list[next]?.index;
}

/** "1 email", "12 emails". */
export function countLabel(count: number): string {
  return `${new Intl.NumberFormat('en-US').format(count)} ${count === 1 ? 'email' : 'emails'}`;
}
