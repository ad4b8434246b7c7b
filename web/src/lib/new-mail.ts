import type { InboxItem } from '../../../gateway/messages.js';

/** What a notice says of new mail, and the email it offers to open (when there is one). */
export function newMailNotice(added: readonly InboxItem[]): { text: string; open?: number } {
  const newest = added[added.length - 1];
  if (added.length === 1 && newest) {
    const title = newest.title === '' ? '(no title)' : newest.title;
    return { text: `New email from ${newest.from}: ${title}`, open: newest.index };
  }
  return { text: `${added.length} new emails` };
}

/** The listing after a newMail event: the whole inbox when it came whole, else the new rows added. */
export function listingWithNew(
  current: readonly InboxItem[],
  items: readonly InboxItem[],
  total: number,
): InboxItem[] {
  if (items.length === total) return [...items];
  const known = new Set(current.map((item) => item.index));
  return [...current, ...items.filter((item) => !known.has(item.index))];
}
