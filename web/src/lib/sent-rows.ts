import type { EmailView, InboxItem, SentEmailView, SentItem } from '../../../gateway/messages.js';
import { sortInbox, type SortOrder } from './inbox.js';
import { isEmptyQuery, matchItem, parseQuery, type ItemMatch } from './search.js';

/**
 * The Sent folder sorted and searched as the inbox is (the same sort and search), and a sent
 * email replied to or forwarded as an inbox email is: a sent email stands in for an inbox one,
 * its recipients in the sender's place.
 */

export interface SentRow {
  item: SentItem;
  /** Where the search matched (`from` is in the recipients); undefined when there is no search. */
  match?: ItemMatch;
}

/** `items` newest first, as the gateway lists them; the index keeps that order among equals. */
function asListed(item: SentItem, index: number): InboxItem {
  return {
    index,
    from: item.to.join(', '),
    receivedAt: item.sentAt,
    title: item.title,
    id: item.id,
  };
}

export function sentRows(
  items: readonly SentItem[],
  queryText: string,
  sort: SortOrder,
): SentRow[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  const listed = items.map((item, i) => asListed(item, items.length - i));
  const query = parseQuery(queryText);
  const searching = !isEmptyQuery(query);
  const rows: SentRow[] = [];
  for (const each of sortInbox(listed, sort)) {
    const item = byId.get(each.id ?? '');
    if (!item) continue;
    if (!searching) {
      rows.push({ item });
      continue;
    }
    const match = matchItem(each, query);
    if (match) rows.push({ item, match });
  }
  return rows;
}

/** A sent email as the reader's email, for a reply (to its recipients) or a forward. */
export function sentAsEmail(email: SentEmailView, me: string): EmailView {
  return {
    index: 0,
    from: me,
    to: email.to,
    receivedAt: email.sentAt,
    title: email.title,
    contentLength: email.contentLength,
    content: email.content,
    raw: '',
  };
}
