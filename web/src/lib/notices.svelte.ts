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

export interface NoticeOptions {
  action?: NoticeAction;
  /** Stays until dismissed or done (errors always do). */
  sticky?: boolean;
  /** How long it shows (while neither the pointer nor the focus is on it); 7 s by default. */
  durationMs?: number;
  /** The notice went away (its time, Dismiss, newer notices) without its action being run. */
  onGone?: () => void;
}

const NOTICE_MS = 7000;
const MAX_SHOWN = 3;

/**
 * Notifications: shown in their own landmark, which never covers a control; each waits while
 * the pointer or the focus is on it; errors and sticky ones stay until dismissed or done.
 * Every notice is also said by the polite live region.
 */
export class Notices {
  list = $state.raw<Notice[]>([]);
  /** Text for the polite live region. */
  announcement = $state('');
  #nextId = 0;
  readonly #timers = new Map<number, PausableTimer>();
  readonly #onGone = new Map<number, () => void>();

  notify(tone: Notice['tone'], text: string, options: NoticeOptions = {}): number {
    const notice: Notice = { id: ++this.#nextId, tone, text };
    if (options.action) notice.action = options.action;
    if (options.onGone) this.#onGone.set(notice.id, options.onGone);
    const dropped = this.list.slice(0, Math.max(0, this.list.length - (MAX_SHOWN - 1)));
    this.list = [...this.list.slice(-(MAX_SHOWN - 1)), notice];
    for (const old of dropped) this.#gone(old.id);
    this.say(text);
    if (tone !== 'error' && options.sticky !== true) {
      this.#timers.set(
        notice.id,
        new PausableTimer(options.durationMs ?? NOTICE_MS, () => {
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
    this.list = this.list.filter((notice) => notice.id !== id);
    this.#gone(id);
  }

  /** Takes a notice away without telling its owner (who has settled it already). */
  withdraw(id: number): void {
    this.#onGone.delete(id);
    this.dismiss(id);
  }

  #gone(id: number): void {
    this.#timers.get(id)?.cancel();
    this.#timers.delete(id);
    const onGone = this.#onGone.get(id);
    this.#onGone.delete(id);
    onGone?.();
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
    this.withdraw(notice.id);
    notice.action.run();
    return true;
  }
}
