import type { InboxItem } from '../../../gateway/messages.js';
import { plural } from './format.js';
import { refOf } from './inbox.js';

/** What a notice says of new mail, and the email it offers to open (when there is one). */
export function newMailNotice(added: readonly InboxItem[]): { text: string; open?: string } {
  const newest = added[added.length - 1];
  if (added.length === 1 && newest) {
    const title = newest.title === '' ? '(no title)' : newest.title;
    return { text: `New email from ${newest.from}: ${title}`, open: refOf(newest) };
  }
  return { text: `${added.length} new emails` };
}

/**
 * The listing after a newMail event: the whole inbox when it came whole, else the new rows
 * added to the ones shown (matched by id where the session lists ids, so a row renumbered by a
 * delete is not taken for a new one, nor a new one for an old one).
 */
export function listingWithNew(
  current: readonly InboxItem[],
  items: readonly InboxItem[],
  total: number,
): InboxItem[] {
  if (items.length === total) return [...items];
  const known = new Set(current.map(refOf));
  return [...current, ...items.filter((item) => !known.has(refOf(item)))];
}

/** How new mail reaches this page, said in the settings. */
export function newMailCadence(pushed: boolean, pollSeconds: number): string {
  if (pushed)
    return 'New mail is pushed: the server tells the gateway the moment an email arrives (the enhanced protocol).';
  if (pollSeconds > 0)
    return `The gateway checks for new mail every ${plural(pollSeconds, 'second')} (its --poll option): this protocol cannot tell it when mail arrives.`;
  return 'The gateway does not check for new mail by itself (--poll 0): new mail shows when you check (u).';
}

/** The same, short, for the status bar. */
export function newMailStatus(pushed: boolean, pollSeconds: number): string {
  if (pushed) return 'New mail shows as it arrives';
  if (pollSeconds > 0) return `New mail is checked every ${plural(pollSeconds, 'second')}`;
  return 'New mail shows when you check (u)';
}
