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

/** Which of the listed emails are shown: those of the inbox, or those in the Trash. */
export type InboxView = 'inbox' | 'trash';

/**
 * The inbox as listed, and what this computer adds to it: read marks and the Trash (kept by the
 * gateway's session process, mail-marks.svelte.ts), hidden marks (kept per user in this
 * browser), the sort, the search and the selection. Text of emails opened in this session is
 * kept for the search. Emails emptied from a Trash that could not delete them are left out of
 * everything shown.
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
  /** The selected email's ref. */
  selected = $state<string | undefined>();
  /** Marks of the emails in the Trash, and of those emptied from it on this computer alone. */
  trashed = $state.raw<ReadonlySet<string>>(new Set());
  gone = $state.raw<ReadonlySet<string>>(new Set());
  view = $state<InboxView>('inbox');
  /** Read marks changed here, for the gateway to keep (set by MailMarks). */
  onReadChanged: ((marks: string[], read: boolean) => void) | undefined;
  /** Texts of emails opened in this session, by mark, for the search. */
  bodies = $state.raw<ReadonlyMap<string, string>>(new Map());
  /** The emails (by ref) whose text holds the search's words, by the gateway's index (content-search.svelte.ts). */
  contentMatches = $state.raw<ReadonlySet<string> | undefined>();
  /** How far the gateway's index is: emails indexed of those to index. */
  indexProgress = $state.raw<{ indexed: number; total: number } | undefined>();

  /** The listed emails but those emptied from a Trash on this computer alone. */
  readonly present = $derived(
    this.gone.size === 0 ? this.items : this.items.filter((item) => !this.gone.has(markOf(item))),
  );
  readonly sorted = $derived(sortInbox(this.present, this.sort));
  readonly rows = $derived(this.#rows());
  readonly unreadCount = $derived(
    this.present.reduce((count, item) => {
      const key = markOf(item);
      return count + (this.read.has(key) || this.hidden.has(key) || this.trashed.has(key) ? 0 : 1);
    }, 0),
  );
  readonly hiddenCount = $derived(
    this.present.filter((item) => this.hidden.has(markOf(item))).length,
  );
  readonly trashCount = $derived(
    this.trashed.size === 0
      ? 0
      : this.present.filter((item) => this.trashed.has(markOf(item))).length,
  );
  readonly countText = $derived(
    countLabel(this.view === 'trash' ? this.trashCount : this.present.length - this.trashCount),
  );

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
    this.contentMatches = undefined;
    this.indexProgress = undefined;
    this.read = new Set();
    this.trashed = new Set();
    this.gone = new Set();
    this.view = 'inbox';
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
    const inTrash = this.view === 'trash';
    const rows: InboxRow[] = [];
    for (const item of this.sorted) {
      const key = markOf(item);
      if (this.trashed.has(key) !== inTrash) continue;
      if (!inTrash && !this.showHidden && this.hidden.has(key)) continue;
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
    // The first full listing of a session: marks of emails no longer there are dropped (the
    // gateway bounds the read marks it keeps itself).
    this.#setMarks('hidden', pruneMarks(this.hidden, items));
    return added;
  }

  find(ref: string): InboxItem | undefined {
    return this.items.find((item) => refOf(item) === ref);
  }

  /** The server deleted these emails: they leave the listing, and their marks go with them. */
  removeAllDeleted(deleted: readonly InboxItem[]): void {
    const refs = new Set(deleted.map(refOf));
    const keys = deleted.map(markOf);
    this.items = this.items.filter((entry) => !refs.has(refOf(entry)));
    if (this.selected !== undefined && refs.has(this.selected)) this.selected = undefined;
    this.read = withoutMarks(this.read, keys);
    this.#setMarks('hidden', withoutMarks(this.hidden, keys));
  }

  /** Marks emails read or unread here, and has the gateway keep it (only those that change). */
  markRead(items: readonly InboxItem[], read: boolean): void {
    const keys = items.map(markOf).filter((key) => this.read.has(key) !== read);
    if (keys.length === 0) return;
    this.read = read ? withMarks(this.read, keys) : withoutMarks(this.read, keys);
    this.onReadChanged?.(keys, read);
  }

  /** Read marks kept in this browser before the gateway kept them; read once, then removed. */
  takeLegacyReadMarks(): string[] {
    if (!this.#account) return [];
    const key = accountKey(this.#account, 'read');
    const stored = readJson(this.#store, key);
    if (!isStringArray(stored)) return [];
    this.#store.removeItem(key);
    return stored;
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

  #loadMarks(what: 'hidden'): Set<string> {
    if (!this.#account) return new Set();
    const stored = readJson(this.#store, accountKey(this.#account, what));
    return new Set(isStringArray(stored) ? stored : []);
  }

  #setMarks(what: 'hidden', marks: Set<string>): void {
    this.hidden = marks;
    if (this.#account) writeJson(this.#store, accountKey(this.#account, what), [...marks]);
  }
}
