import type { EmailSecurity, InboxItem } from '../../../gateway/messages.js';
import {
  DEFAULT_SORT,
  countLabel,
  mergeInbox,
  refOf,
  sortInbox,
  step,
  type SortOrder,
} from './inbox.js';
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
  /** What names the email in this page (refOf). */
  ref: string;
  /** Its read and hidden mark (markOf). */
  key: string;
  unread: boolean;
  /** Where the search matched; undefined when there is no search. */
  match?: ItemMatch;
}

/**
 * The inbox as listed, and what this device adds to it: read and hidden marks (kept per user),
 * the sort, the search and the selection. Text of emails opened in this session is kept for
 * the search. Emails whose delete is held for its undo time are left out of everything shown.
 */
export class InboxState {
  items = $state.raw<InboxItem[]>([]);
  /** Emails (by ref) whose delete is held: out of the list until it is undone or done. */
  deleting = $state.raw<ReadonlySet<string>>(new Set());
  loaded = $state(false);
  refreshing = $state(false);
  sort = $state<SortOrder>(DEFAULT_SORT);
  query = $state('');
  read = $state.raw<ReadonlySet<string>>(new Set());
  hidden = $state.raw<ReadonlySet<string>>(new Set());
  showHidden = $state(false);
  /** The selected email's ref. */
  selected = $state<string | undefined>();
  /** Texts of emails opened in this session, by mark, for the search. */
  bodies = $state.raw<ReadonlyMap<string, string>>(new Map());
  /** The emails (by ref) whose text holds the search's words, by the gateway's index (content-search.svelte.ts). */
  contentMatches = $state.raw<ReadonlySet<string> | undefined>();
  /** How far the gateway's index is: emails indexed of those to index. */
  indexProgress = $state.raw<{ indexed: number; total: number } | undefined>();

  /** The listed emails but those whose delete is held. */
  readonly present = $derived(
    this.deleting.size === 0
      ? this.items
      : this.items.filter((item) => !this.deleting.has(refOf(item))),
  );
  readonly sorted = $derived(sortInbox(this.present, this.sort));
  readonly rows = $derived(this.#rows());
  readonly unreadCount = $derived(
    this.present.reduce((count, item) => {
      const key = markOf(item);
      return count + (this.read.has(key) || this.hidden.has(key) ? 0 : 1);
    }, 0),
  );
  readonly hiddenCount = $derived(
    this.present.filter((item) => this.hidden.has(markOf(item))).length,
  );
  readonly countText = $derived(countLabel(this.present.length));

  #store: KeyValueStore;
  #account: Account | undefined;

  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /** A new session: an empty list and this user's marks. */
  reset(account: Account): void {
    this.#account = account;
    this.items = [];
    this.deleting = new Set();
    this.loaded = false;
    this.selected = undefined;
    this.query = '';
    this.showHidden = false;
    this.bodies = new Map();
    this.contentMatches = undefined;
    this.indexProgress = undefined;
    this.read = this.#loadMarks('read');
    this.hidden = this.#loadMarks('hidden');
  }

  clear(): void {
    this.#account = undefined;
    this.items = [];
    this.deleting = new Set();
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
      const ref = refOf(item);
      const row: InboxRow = { item, ref, key, unread: !this.read.has(key) };
      if (searching) {
        const inText = this.contentMatches?.has(ref) ?? false;
        const match = matchItem(item, query, this.bodies.get(key), inText);
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
    if (this.selected !== undefined && !items.some((item) => refOf(item) === this.selected))
      this.selected = undefined;
    if (this.loaded) return added;
    // The first full listing of a session: marks of emails no longer there are dropped.
    this.#setMarks('read', pruneMarks(this.read, items));
    this.#setMarks('hidden', pruneMarks(this.hidden, items));
    return added;
  }

  find(ref: string): InboxItem | undefined {
    return this.items.find((item) => refOf(item) === ref);
  }

  /** A held delete starts (the row leaves the list) or is undone (it is back). */
  setDeleting(ref: string, deleting: boolean): void {
    const next = new Set(this.deleting);
    if (deleting) next.add(ref);
    else next.delete(ref);
    this.deleting = next;
  }

  /** The server deleted the email: it leaves the listing, and its marks go with it. */
  removeDeleted(item: InboxItem): void {
    const ref = refOf(item);
    this.items = this.items.filter((entry) => refOf(entry) !== ref);
    this.setDeleting(ref, false);
    if (this.selected === ref) this.selected = undefined;
    const key = [markOf(item)];
    this.#setMarks('read', withoutMarks(this.read, key));
    this.#setMarks('hidden', withoutMarks(this.hidden, key));
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

  /** What an opened email turned out to be, for its row's mark (the gateway's next listing says it too). */
  setSecurity(item: InboxItem, security: EmailSecurity | undefined): void {
    if (!security) return;
    this.items = this.items.map((each) => (each === item ? { ...each, security } : each));
  }

  /** What the gateway found opening emails in the background, for their rows' marks. */
  setMarks(marks: readonly { index: number; id?: string; security: EmailSecurity }[]): void {
    if (marks.length === 0) return;
    const byRef = new Map(
      marks.map((mark) => [mark.id ?? `index-${mark.index}`, mark.security] as const),
    );
    this.items = this.items.map((item) => {
      const security = byRef.get(refOf(item));
      return security ? { ...item, security } : item;
    });
  }

  remember(item: InboxItem, content: string): void {
    const bodies = new Map(this.bodies);
    bodies.set(markOf(item), content);
    this.bodies = bodies;
  }

  /** The email j/k (or the arrows) move to, among the rows shown. */
  stepFrom(delta: number): string | undefined {
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
