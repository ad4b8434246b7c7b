import type { InboxItem } from '../../../gateway/messages.js';
import { plural } from './format.js';
import type { InboxState } from './inbox-state.svelte.js';
import { refOf, titleOf } from './inbox.js';
import type { MailMarks } from './mail-marks.svelte.js';
import { markOf } from './marks.js';
import type { Notices } from './notices.svelte.js';
import type { ReaderState } from './reader-state.svelte.js';
import type { Selection } from './selection.svelte.js';

export interface BulkDeps {
  inbox: InboxState;
  selection: Selection;
  marks: MailMarks;
  reader: ReaderState;
  notices: Notices;
}

const emails = (count: number): string => plural(count, 'email');

/**
 * What is done to many emails at once: those ticked (Selection), or every one (mark all read,
 * empty the Trash). The marks change on screen at once; the gateway keeps them.
 */
export class BulkActions {
  readonly #deps: BulkDeps;

  constructor(deps: BulkDeps) {
    this.#deps = deps;
  }

  /** The ticked emails among the rows shown, in their order. */
  get chosen(): InboxItem[] {
    const { inbox, selection } = this.#deps;
    if (selection.size === 0) return [];
    return inbox.rows.filter((row) => selection.has(row.ref)).map((row) => row.item);
  }

  /** The ticked emails, or, with none ticked, the one under the cursor. */
  #targets(): InboxItem[] {
    const { inbox } = this.#deps;
    const chosen = this.chosen;
    if (chosen.length > 0) return chosen;
    const current = inbox.selected === undefined ? undefined : inbox.find(inbox.selected);
    return current ? [current] : [];
  }

  markChosen(read: boolean): void {
    const { inbox, notices } = this.#deps;
    const items = this.#targets();
    if (items.length === 0) return;
    inbox.markRead(items, read);
    notices.say(`${emails(items.length)} marked ${read ? 'read' : 'unread'}`);
  }

  /** Every email of the inbox (not the Trash) is marked read, in one request to the gateway. */
  markAllRead(): void {
    const { inbox, notices } = this.#deps;
    const count = inbox.unreadCount;
    inbox.markRead(
      inbox.present.filter((item) => !inbox.trashed.has(markOf(item))),
      true,
    );
    notices.notify('success', `${emails(count)} marked read.`);
  }

  /** The ticked emails (or the one under the cursor, or `only`) go to the Trash, with Undo. */
  async trashChosen(only?: readonly InboxItem[]): Promise<void> {
    const { marks, notices } = this.#deps;
    const items = only ? [...only] : this.#setAside();
    if (items.length === 0) return;
    if (!(await marks.move(items))) return;
    const what = only?.length === 1 && items[0] ? `“${titleOf(items[0])}”` : emails(items.length);
    notices.notify(
      'info',
      `${what} moved to the Trash: kept ${plural(marks.trashDays, 'day')}, then ${marks.trashDeletes ? 'deleted from the server' : 'removed from this computer (the classic protocol cannot delete)'}.`,
      {
        action: {
          kind: 'undo',
          label: 'Undo',
          run: () => {
            void marks.move(items, true);
          },
        },
      },
    );
  }

  /** The ticked emails of the Trash (or the one under the cursor) go back to the inbox. */
  async restoreChosen(): Promise<void> {
    const { marks, notices } = this.#deps;
    const items = this.#setAside();
    if (items.length === 0) return;
    if (await marks.move(items, true))
      notices.notify('success', `${emails(items.length)} restored to the inbox.`);
  }

  /** Removes for good the ticked emails of the Trash, or all of it (`all`). */
  async emptyTrash(all: boolean): Promise<void> {
    const { inbox, marks, notices } = this.#deps;
    const items = all ? inbox.rows.map((row) => row.item) : this.#setAside();
    if (items.length === 0) return;
    const removed = await marks.empty(items);
    if (removed === undefined) return;
    this.#deps.selection.clear();
    notices.notify(
      'success',
      marks.trashDeletes
        ? `${emails(removed)} deleted from the server.`
        : `${emails(removed)} removed from the Trash on this computer. The classic protocol cannot delete: they stay on the server, never shown here again.`,
    );
  }

  /** The targets leave the view: the reader closes on them, the ticks are cleared. */
  #setAside(): InboxItem[] {
    const { reader, selection } = this.#deps;
    const items = this.#targets();
    const refs = new Set(items.map(refOf));
    if (reader.open && refs.has(reader.open.ref)) reader.close();
    selection.clear();
    return items;
  }
}
