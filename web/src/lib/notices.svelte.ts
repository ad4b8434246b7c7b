import { PausableTimer } from './timers.js';

/** What a notice's button does; its kind gives it a key (n opens, z undoes). */
export interface NoticeAction {
  kind: 'open' | 'undo';
  label: string;
  run: () => void;
}

export interface Notice {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
  action?: NoticeAction;
}

const NOTICE_MS = 7000;
const MAX_SHOWN = 3;

/**
 * Notifications: shown in their own landmark, which never covers a control; each waits while
 * the pointer or the focus is on it; errors and notices with an action stay until dismissed
 * or done. Every notice is also said by the polite live region.
 */
export class Notices {
  list = $state.raw<Notice[]>([]);
  /** Text for the polite live region. */
  announcement = $state('');
  #nextId = 0;
  readonly #timers = new Map<number, PausableTimer>();

  notify(
    tone: Notice['tone'],
    text: string,
    options: { action?: NoticeAction; sticky?: boolean } = {},
  ): number {
    const notice: Notice = { id: ++this.#nextId, tone, text };
    if (options.action) notice.action = options.action;
    const dropped = this.list.slice(0, Math.max(0, this.list.length - (MAX_SHOWN - 1)));
    for (const old of dropped) this.#timers.get(old.id)?.cancel();
    this.list = [...this.list.slice(-(MAX_SHOWN - 1)), notice];
    this.say(text);
    if (tone !== 'error' && options.sticky !== true) {
      this.#timers.set(
        notice.id,
        new PausableTimer(NOTICE_MS, () => {
          this.dismiss(notice.id);
        }),
      );
    }
    return notice.id;
  }

  /** Speaks a text without showing a notice. */
  say(text: string): void {
    // The same text twice in a row must still be spoken: clear, then set on the next task.
    this.announcement = '';
    queueMicrotask(() => {
      this.announcement = text;
    });
  }

  dismiss(id: number): void {
    this.#timers.get(id)?.cancel();
    this.#timers.delete(id);
    this.list = this.list.filter((notice) => notice.id !== id);
  }

  /** The pointer or the focus is on the notice: it stays. */
  hold(id: number): void {
    this.#timers.get(id)?.pause();
  }

  release(id: number): void {
    this.#timers.get(id)?.resume();
  }

  /** Runs the newest notice's action of this kind (the n and z keys); false when there is none. */
  runAction(kind: NoticeAction['kind']): boolean {
    const notice = this.list.findLast((entry) => entry.action?.kind === kind);
    if (!notice?.action) return false;
    this.dismiss(notice.id);
    notice.action.run();
    return true;
  }
}
