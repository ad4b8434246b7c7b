import type { InboxItem } from '../../../gateway/messages.js';
import { DEFAULT_SORT, countLabel, mergeInbox, sortInbox, step, type SortOrder } from './inbox.js';
import { markOf, pruneMarks, withMarks, withoutMarks } from './marks.js';
import { isEmptyQuery, matchItem, parseQuery, type ItemMatch } from './search.js';
import {
  accountKey,
  isStringArray,
  readJson,
  writeJson,
  type Account,
  type KeyValueStore,
} from './storage.js';

export interface InboxRow {
  item: InboxItem;
  key: string;
  unread: boolean;
  /** Where the search matched; undefined when there is no search. */
  match?: ItemMatch;
}

/**
 * The inbox as listed, and what this device adds to it: read and hidden marks (kept per user),
 * the sort, the search and the selection. Text of emails opened in this session is kept for
 * the search.
 */
export class InboxState {
  items = $state.raw<InboxItem[]>([]);
  loaded = $state(false);
  refreshing = $state(false);
  sort = $state<SortOrder>(DEFAULT_SORT);
  query = $state('');
  read = $state.raw<ReadonlySet<string>>(new Set());
  hidden = $state.raw<ReadonlySet<string>>(new Set());
  showHidden = $state(false);
  selected = $state<number | undefined>();
  /** Texts of emails opened in this session, by mark, for the search. */
  bodies = $state.raw<ReadonlyMap<string, string>>(new Map());

  readonly sorted = $derived(sortInbox(this.items, this.sort));
  readonly rows = $derived(this.#rows());
  readonly unreadCount = $derived(
    this.items.reduce((count, item) => {
      const key = markOf(item);
      return count + (this.read.has(key) || this.hidden.has(key) ? 0 : 1);
    }, 0),
  );
  readonly hiddenCount = $derived(
    this.items.filter((item) => this.hidden.has(markOf(item))).length,
  );
  readonly countText = $derived(countLabel(this.items.length));

  #store: KeyValueStore;
  #account: Account | undefined;

  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /** A new session: an empty list and this user's marks. */
  reset(account: Account): void {
    this.#account = account;
    this.items = [];
    this.loaded = false;
    this.selected = undefined;
    this.query = '';
    this.showHidden = false;
    this.bodies = new Map();
    this.read = this.#loadMarks('read');
    this.hidden = this.#loadMarks('hidden');
  }

  clear(): void {
    this.#account = undefined;
    this.items = [];
    this.loaded = false;
    this.bodies = new Map();
  }

  #rows(): InboxRow[] {
    const query = parseQuery(this.query);
    const searching = !isEmptyQuery(query);
    const rows: InboxRow[] = [];
    for (const item of this.sorted) {
      const key = markOf(item);
      if (!this.showHidden && this.hidden.has(key)) continue;
      const row: InboxRow = { item, key, unread: !this.read.has(key) };
      if (searching) {
        const match = matchItem(item, query, this.bodies.get(key));
        if (!match) continue;
        row.match = match;
      }
      rows.push(row);
    }
    return rows;
  }

  /** Folds a listing in; returns the emails not seen before. */
  apply(fresh: readonly InboxItem[]): InboxItem[] {
    const { items, added } = mergeInbox(this.items, fresh);
    this.items = items;
    if (this.selected !== undefined && !items.some((item) => item.index === this.selected))
      this.selected = undefined;
    if (this.loaded) return added;
    // The first full listing of a session: marks of emails no longer there are dropped.
    this.#setMarks('read', pruneMarks(this.read, items));
    this.#setMarks('hidden', pruneMarks(this.hidden, items));
    return added;
  }

  find(index: number): InboxItem | undefined {
    return this.items.find((item) => item.index === index);
  }

  markRead(items: readonly InboxItem[], read: boolean): void {
    const keys = items.map(markOf);
    this.#setMarks('read', read ? withMarks(this.read, keys) : withoutMarks(this.read, keys));
  }

  setHidden(items: readonly InboxItem[], hidden: boolean): void {
    const keys = items.map(markOf);
    this.#setMarks(
      'hidden',
      hidden ? withMarks(this.hidden, keys) : withoutMarks(this.hidden, keys),
    );
  }

  isHidden(item: InboxItem): boolean {
    return this.hidden.has(markOf(item));
  }

  remember(item: InboxItem, content: string): void {
    const bodies = new Map(this.bodies);
    bodies.set(markOf(item), content);
    this.bodies = bodies;
  }

  /** The email j/k (or the arrows) move to, among the rows shown. */
  stepFrom(delta: number): number | undefined {
    return step(
      this.rows.map((row) => row.item),
      this.selected,
      delta,
    );
  }

  #loadMarks(what: 'read' | 'hidden'): Set<string> {
    if (!this.#account) return new Set();
    const stored = readJson(this.#store, accountKey(this.#account, what));
    return new Set(isStringArray(stored) ? stored : []);
  }

  #setMarks(what: 'read' | 'hidden', marks: Set<string>): void {
    if (what === 'read') this.read = marks;
    else this.hidden = marks;
    if (this.#account) writeJson(this.#store, accountKey(this.#account, what), [...marks]);
  }
}
