/**
 * A session's listing rows (index, sender, time, title, id), made from the store's entries.
 * Only the rows from the first change since the last listing are made again; the others stay
 * the same objects, so the listing's text is redone from there on only (protocol/inbox.ts).
 * When the store's listings are versions of one array (common/shared-prefix.ts: the seed-files
 * store's), the sessions of one process that list one inbox share its rows, and with them the
 * last listing made of them (protocol/operations/list-inbox.ts): a session's first listing is
 * not made from scratch either.
 */
import { lineageOf, MappedArray } from '../common/shared-prefix.js';
import type { InboxRow } from '../protocol/inbox.js';
import type { MailboxEntry } from './store/mail-store.js';

/**
 * How many inboxes' rows a process shares, the most recently listed: more than the sessions a
 * process serves at once (--clients-per-process), so that the memory kept for inboxes nobody
 * lists any more stays bounded however many users a long-lived process has served.
 */
const SHARED_INBOXES = 64;

type Rows = MappedArray<MailboxEntry, InboxRow>;

// Written out, not spread: session processes run without V8's compilers.
const rowOf = ({ id, from, receivedAt, title }: MailboxEntry, i: number): InboxRow => ({
  index: i + 1,
  from,
  receivedAt,
  title,
  id,
});

/** By the store's array the rows are made from (its lineage); oldest listed first. */
const shared = new Map<object, Rows>();

function sharedRows(lineage: object): Rows {
  let rows = shared.get(lineage);
  if (rows) shared.delete(lineage);
  else rows = new MappedArray(rowOf);
  shared.set(lineage, rows);
  if (shared.size > SHARED_INBOXES) {
    const oldest = shared.keys().next();
    if (!oldest.done) shared.delete(oldest.value);
  }
  return rows;
}

/** A session's rows: each listing's entries in, its rows out. */
export function sessionRows(): (entries: readonly MailboxEntry[]) => readonly InboxRow[] {
  /** Used when the store's listings are not versions of one array. */
  const own = new MappedArray(rowOf);
  return (entries) => {
    const lineage = lineageOf(entries);
    return (lineage ? sharedRows(lineage) : own).update(entries);
  };
}
