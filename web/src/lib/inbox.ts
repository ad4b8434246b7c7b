import type { EmailView, InboxItem } from '../../../gateway/messages.js';
import { plural } from './format.js';

export type SortKey = 'date' | 'from' | 'title';
export type SortDirection = 'asc' | 'desc';
export interface SortOrder {
  key: SortKey;
  direction: SortDirection;
}

/** The protocol's order (by receive time) with the newest first. */
export const DEFAULT_SORT: SortOrder = { key: 'date', direction: 'desc' };

/** The sort menu's choices, in its order. */
export const SORT_CHOICES: readonly (SortOrder & { value: string; label: string })[] = [
  { value: 'date-desc', key: 'date', direction: 'desc', label: 'Newest first' },
  { value: 'date-asc', key: 'date', direction: 'asc', label: 'Oldest first' },
  { value: 'from-asc', key: 'from', direction: 'asc', label: 'Sender A–Z' },
  { value: 'from-desc', key: 'from', direction: 'desc', label: 'Sender Z–A' },
  { value: 'title-asc', key: 'title', direction: 'asc', label: 'Title A–Z' },
  { value: 'title-desc', key: 'title', direction: 'desc', label: 'Title Z–A' },
];

export function sortChoice(order: SortOrder): (typeof SORT_CHOICES)[number] | undefined {
  return SORT_CHOICES.find(
    (choice) => choice.key === order.key && choice.direction === order.direction,
  );
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * A key that orders as the collator does (case ignored, numbers by value), for text of ASCII
 * letters, digits and spaces: comparing keys is several times faster than the collator, which
 * keeps sorting 10,000 rows under a frame or two. Other text (or a locale that orders ASCII
 * letters its own way) goes through the collator.
 */
function asciiSortKey(text: string): string | undefined {
  // Numbers of ten digits or more (leading zeros aside) are left to the collator.
  if (!ASCII_ORDER_AGREES || !/^[A-Za-z0-9 ]*$/.test(text) || /(?:^|\D)0*[1-9]\d{9}/.test(text))
    return undefined;
  return text.toLowerCase().replace(/\d+/g, (run) => {
    const digits = run.replace(/^0+(?=\d)/, '');
    // The length first, so that a longer number sorts after a shorter one.
    return `${digits.length}${digits}`;
  });
}

/** Whether this browser's collator orders space, digits and ASCII letters as the keys assume. */
const ASCII_ORDER_AGREES = ((): boolean => {
  const probe = ' 0123456789abcdefghijklmnopqrstuvwxyz'.split('');
  const sorted = [...probe].sort((a, b) => collator.compare(a, b));
  return sorted.join('') === probe.join('') && collator.compare('a10', 'a9') > 0;
})();

/**
 * Sorts a copy of the list. Dates compare as the protocol's "YYYY-MM-DD HH:MM:SS[.ffffff]" text
 * (which orders like time); the server's index (its order by receive time) breaks ties, so
 * equal keys keep the protocol's order.
 */
export function sortInbox(items: readonly InboxItem[], order: SortOrder): InboxItem[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  if (order.key === 'date') {
    // Keys made once, not in every comparison: 10,000 rows sort within a frame or two.
    const keyed = items.map((item) => ({ item, key: dateKey(item.receivedAt) }));
    keyed.sort(
      (a, b) =>
        sign * ((a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.item.index - b.item.index),
    );
    return keyed.map(({ item }) => item);
  }
  const field = order.key;
  const keyed = items.map((item) => ({ item, text: item[field], key: asciiSortKey(item[field]) }));
  keyed.sort((a, b) => {
    const order =
      a.key !== undefined && b.key !== undefined
        ? a.key < b.key
          ? -1
          : a.key > b.key
            ? 1
            : 0
        : collator.compare(a.text, b.text);
    return sign * (order || a.item.index - b.item.index);
  });
  return keyed.map(({ item }) => item);
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

/**
 * What names an email in this page: its id on sessions that list ids, else its index (the
 * classic protocol cannot delete, so there an index never shifts). An index can shift under a
 * delete or a delivery; an id cannot.
 */
export function refOf(item: InboxItem): string {
  return item.id ?? `index-${item.index}`;
}

/** The row's element id (for aria-activedescendant): one token, whatever the id holds. */
export function rowElementId(ref: string): string {
  return `mail-${encodeURIComponent(ref)}`;
}

/**
 * Whether an email read by index is the one listed there. Without ids a delete made elsewhere
 * can shift the indexes: the wrong email is then not shown as this one. An email the gateway
 * could not parse (no sender) is shown as it came.
 */
export function isListedEmail(
  item: InboxItem,
  email: Pick<EmailView, 'from' | 'receivedAt' | 'title'>,
): boolean {
  if (email.from === '' && email.receivedAt === '') return true;
  return identity(item) === identity({ ...item, ...email });
}

/** The row to move to with j/k (or the arrow keys), clamped to the list. */
export function step(
  list: readonly InboxItem[],
  current: string | undefined,
  delta: number,
): string | undefined {
  const edge = list[delta > 0 ? 0 : list.length - 1];
  const position = current === undefined ? -1 : list.findIndex((item) => refOf(item) === current);
  if (position === -1) return edge && refOf(edge);
  const next = list[Math.min(list.length - 1, Math.max(0, position + delta))];
  return next && refOf(next);
}

/** "1 email", "12 emails". */
export function countLabel(count: number): string {
  return plural(count, 'email');
}

/** An email's title as notices name it. */
export const titleOf = (item: InboxItem): string => (item.title === '' ? '(no title)' : item.title);
