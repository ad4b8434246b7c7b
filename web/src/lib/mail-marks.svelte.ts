import type { InboxItem, TrashItem } from '../../../gateway/messages.js';
import { MAX_MARKS_PER_REQUEST } from '../../../gateway/mark-limits.js';
import type { GatewayClient } from './gateway-client.js';
import type { InboxState } from './inbox-state.svelte.js';
import { markOf } from './marks.js';
import { PendingMoves } from './pending-moves.js';

export interface MailMarksDeps {
  client: GatewayClient;
  inbox: InboxState;
  /** A failed request: a lost session ends the view; anything else becomes a notice. */
  onFailure: (error: unknown) => void;
}

/** Requests of at most MAX_MARKS_PER_REQUEST marks each. */
function chunks<T>(values: readonly T[]): T[][] {
  const parts: T[][] = [];
  for (let at = 0; at < values.length; at += MAX_MARKS_PER_REQUEST)
    parts.push(values.slice(at, at + MAX_MARKS_PER_REQUEST));
  return parts;
}

/**
 * The read marks and the Trash as the gateway's session process keeps them (sealed on this
 * computer, so a reload, another tab or another browser of this user sees them): loaded once
 * a session starts, changed here at once and sent to be kept.
 */
export class MailMarks {
  trash = $state.raw<ReadonlyMap<string, TrashItem>>(new Map());
  trashDays = $state(30);
  /** Emptying the Trash deletes on the server; false on the classic protocol (local only). */
  trashDeletes = $state(false);
  /** The gateway could not give the marks: the Trash is not offered. */
  available = $state(false);
  readonly #deps: MailMarksDeps;
  readonly #pending = new PendingMoves();

  constructor(deps: MailMarksDeps) {
    this.#deps = deps;
    deps.inbox.onReadChanged = (marks, read) => {
      void this.#saveRead(marks, read);
    };
  }

  /** Loads the marks of this session's user (emails whose Trash time is up are removed first). */
  async load(): Promise<void> {
    const { client, inbox, onFailure } = this.#deps;
    this.available = false;
    try {
      const reply = await client.request({ type: 'loadMarks' });
      const read = new Set(reply.read);
      // Marks this browser kept before the gateway did move to the gateway once.
      const legacy = inbox.takeLegacyReadMarks().filter((mark) => !read.has(mark));
      for (const mark of legacy) read.add(mark);
      inbox.read = read;
      this.#setTrash(reply.trash);
      inbox.gone = new Set(reply.gone);
      this.trashDays = reply.trashDays;
      this.trashDeletes = reply.trashDeletes;
      this.available = true;
      if (legacy.length > 0) void this.#saveRead(legacy, true);
    } catch (error) {
      onFailure(error);
    }
  }

  async #saveRead(marks: string[], read: boolean): Promise<void> {
    const { client, onFailure } = this.#deps;
    try {
      for (const part of chunks(marks))
        await client.request({ type: 'setRead', marks: part, read });
    } catch (error) {
      onFailure(error);
    }
  }

  #setTrash(items: readonly TrashItem[]): void {
    this.trash = new Map(items.map((item) => [item.mark, item]));
    this.#deps.inbox.trashed = this.#pending.over(this.trash.keys());
  }

  /** Moves emails to the Trash (`restore`: back to the inbox); shown at once, kept by the gateway. */
  async move(items: readonly InboxItem[], restore = false): Promise<boolean> {
    const { client, inbox, onFailure } = this.#deps;
    const emails = items.map((item) => ({
      mark: markOf(item),
      ...(item.id === undefined ? {} : { emailId: item.id }),
    }));
    if (emails.length === 0) return true;
    const move = this.#pending.add(
      emails.map(({ mark }) => mark),
      restore,
    );
    inbox.trashed = this.#pending.over(this.trash.keys());
    try {
      for (const part of chunks(emails)) {
        const reply = await client.request({
          type: 'moveToTrash',
          emails: part,
          ...(restore ? { restore } : {}),
        });
        // The parts not answered yet stay applied: the whole move is pending until the last.
        this.#setTrash(reply.trash);
      }
      return true;
    } catch (error) {
      onFailure(error);
      return false;
    } finally {
      this.#pending.settle(move);
      this.#setTrash([...this.trash.values()]);
    }
  }

  /**
   * Removes emails of the Trash for good: deleted on the server where the session can, else
   * never shown again on this computer. Resolves with how many were removed.
   */
  async empty(items: readonly InboxItem[]): Promise<number | undefined> {
    const { client, inbox, onFailure } = this.#deps;
    const byMark = new Map(items.map((item) => [markOf(item), item]));
    let count = 0;
    try {
      for (const part of chunks([...byMark.keys()])) {
        const reply = await client.request({ type: 'emptyTrash', marks: part });
        count += reply.removed.length;
        if (reply.onServer)
          inbox.removeAllDeleted(reply.removed.flatMap((mark) => byMark.get(mark) ?? []));
        else inbox.gone = new Set([...inbox.gone, ...reply.removed]);
        const trash = new Map(this.trash);
        for (const mark of reply.removed) trash.delete(mark);
        this.#setTrash([...trash.values()]);
      }
      return count;
    } catch (error) {
      onFailure(error);
      return undefined;
    }
  }
}
