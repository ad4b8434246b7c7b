import { parseDrafts, type SavedDraft } from './drafts.js';

/**
 * The tabs of one browser share the saved drafts of the account they are signed in to, in
 * memory, over a BroadcastChannel (same origin only; nothing more is written anywhere, and each
 * tab keeps its list in its own session storage as before). A tab that joins asks, and the
 * others answer with their lists, merged by id (the newer copy wins); each save tells the other
 * tabs its whole list, which replaces theirs (a deleted draft stays deleted).
 */
type ShareMessage =
  { kind: 'ask'; key: string } | { kind: 'answer' | 'saved'; key: string; drafts: unknown };

export interface DraftShareHooks {
  /** This tab's drafts under that storage key, when it is signed in to that account. */
  current(key: string): SavedDraft[] | undefined;
  /** Another tab's drafts for this tab's account: `merge` after an ask, replace after a save. */
  received(drafts: SavedDraft[], how: 'merge' | 'replace'): void;
}

/** Two lists of one account: every draft once, the copy changed last. */
export function mergeDrafts(
  mine: readonly SavedDraft[],
  theirs: readonly SavedDraft[],
): SavedDraft[] {
  const byId = new Map<string, SavedDraft>();
  for (const draft of [...mine, ...theirs]) {
    const known = byId.get(draft.id);
    if (!known || draft.updatedAt > known.updatedAt) byId.set(draft.id, draft);
  }
  return [...byId.values()];
}

export class DraftShare {
  readonly #channel: BroadcastChannel | undefined;
  readonly #hooks: DraftShareHooks;

  constructor(hooks: DraftShareHooks) {
    this.#hooks = hooks;
    this.#channel =
      typeof BroadcastChannel === 'undefined'
        ? undefined
        : new BroadcastChannel('sealed-mail:drafts');
    if (this.#channel)
      this.#channel.onmessage = (event: MessageEvent<unknown>) => {
        this.#receive(event.data);
      };
  }

  ask(key: string): void {
    this.#post({ kind: 'ask', key });
  }

  saved(key: string, drafts: readonly SavedDraft[]): void {
    this.#post({ kind: 'saved', key, drafts });
  }

  #post(message: ShareMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A list that cannot be cloned is not shared; each tab still keeps its own.
    }
  }

  #receive(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const message = data as Partial<Record<string, unknown>>;
    if (typeof message.key !== 'string') return;
    const mine = this.#hooks.current(message.key);
    if (mine === undefined) return;
    if (message.kind === 'ask') {
      if (mine.length > 0) this.#post({ kind: 'answer', key: message.key, drafts: mine });
      return;
    }
    if (message.kind !== 'answer' && message.kind !== 'saved') return;
    this.#hooks.received(
      parseDrafts(message.drafts),
      message.kind === 'answer' ? 'merge' : 'replace',
    );
  }
}
