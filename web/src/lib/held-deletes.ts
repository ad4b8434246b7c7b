import type { InboxItem } from '../../../gateway/messages.js';
import { GatewayRequestError } from './gateway-client.js';
import { refOf } from './inbox.js';

/** What holding a delete does to the page; the mailbox supplies it. */
export interface HeldDeleteEvents {
  /**
   * Shows the notice with its Undo for `seconds` and returns its id; `gone` is to be called
   * when the notice goes away without Undo: its time is up, it was dismissed, or newer ones
   * pushed it out. The notice's time waits while the pointer or the focus is on it.
   */
  show(item: InboxItem, seconds: number, undo: () => void, gone: () => void): number;
  /** Takes the notice away without calling its `gone`. */
  withdraw(noticeId: number): void;
  /** The gateway's `delete`. */
  remove(emailId: string): Promise<unknown>;
  /** The row is kept out of the list while its delete is held (true), or is back (false). */
  hold(ref: string, held: boolean): void;
  /** Deleted on the server, or found gone already: the row leaves the list for good. */
  deleted(item: InboxItem): void;
  /** The delete failed; the row is back in the list. */
  failed(item: InboxItem, error: unknown): void;
}

interface Held {
  item: InboxItem;
  emailId: string;
  noticeId: number;
}

/**
 * Deletes held for the undo time, as a sent email is: the row leaves the list at once, and the
 * `delete` goes to the gateway when its notice goes (its time is up, or it is dismissed); Undo
 * cancels it. A delete the server answers with NOT_FOUND was done already (elsewhere): that is
 * no error.
 */
export class HeldDeletes {
  readonly #events: HeldDeleteEvents;
  readonly #held = new Map<string, Held>();
  readonly #sending = new Set<Promise<void>>();

  constructor(events: HeldDeleteEvents) {
    this.#events = events;
  }

  /** Deletes waiting out their undo time. */
  get size(): number {
    return this.#held.size;
  }

  isHeld(ref: string): boolean {
    return this.#held.has(ref);
  }

  /** Holds the delete of an email for `seconds` (0: it goes at once); false without an id. */
  hold(item: InboxItem, seconds: number): boolean {
    const emailId = item.id;
    if (emailId === undefined) return false;
    const ref = refOf(item);
    if (this.#held.has(ref)) return true;
    this.#events.hold(ref, true);
    if (seconds <= 0) {
      this.#send(item, emailId);
      return true;
    }
    const noticeId = this.#events.show(
      item,
      seconds,
      () => {
        this.undo(ref);
      },
      () => {
        this.#commit(ref);
      },
    );
    this.#held.set(ref, { item, emailId, noticeId });
    return true;
  }

  /** Cancels a held delete: the email is back in the list, and nothing was sent. */
  undo(ref: string): boolean {
    const held = this.#take(ref);
    if (!held) return false;
    this.#events.hold(ref, false);
    return true;
  }

  /** Sends every held delete now and waits for the answers (before signing out). */
  async flush(): Promise<void> {
    for (const ref of [...this.#held.keys()]) this.#commit(ref);
    await Promise.all([...this.#sending]);
  }

  /** Cancels every held delete without sending it (the session is gone, or the page goes). */
  drop(): void {
    for (const ref of [...this.#held.keys()]) this.undo(ref);
  }

  #take(ref: string): Held | undefined {
    const held = this.#held.get(ref);
    if (!held) return undefined;
    this.#held.delete(ref);
    this.#events.withdraw(held.noticeId);
    return held;
  }

  #commit(ref: string): void {
    const held = this.#take(ref);
    if (held) this.#send(held.item, held.emailId);
  }

  #send(item: InboxItem, emailId: string): void {
    const sending = this.#events.remove(emailId).then(
      () => {
        this.#events.deleted(item);
      },
      (error: unknown) => {
        if (error instanceof GatewayRequestError && error.code === 'NOT_FOUND') {
          this.#events.deleted(item);
          return;
        }
        this.#events.hold(refOf(item), false);
        this.#events.failed(item, error);
      },
    );
    this.#sending.add(sending);
    void sending.finally(() => this.#sending.delete(sending));
  }
}
