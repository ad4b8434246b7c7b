/**
 * How a session child finds new mail for its browser: pushed by the server the moment it
 * lands, where the session can wait for it (the enhanced protocol, session version 2), or a
 * listing every few seconds otherwise. Either way, a browser's request never waits behind it:
 * a wait in progress is ended first and taken up again after.
 */
import type { InboxRow } from '../../protocol/inbox.js';
import { inboxChanges } from '../../protocol/operations/list-changes.js';
import type { MailClient } from '../protocol-client/mail-client.js';

/**
 * How long one wait may last before the server wakes it anyway: as long as the session's
 * reply timeout allows (a wait is a reply not yet come), less a margin for a loaded machine.
 * Each wait that times out costs the server a little work, so longer is cheaper.
 */
export function waitSecondsWithin(replyTimeoutMs: number): number {
  if (replyTimeoutMs <= 0) return MAX_WAIT_SECONDS;
  return Math.min(MAX_WAIT_SECONDS, Math.max(5, Math.floor(replyTimeoutMs / 1000) - 10));
}

/** The server shortens any wait to less than its idle timeout (300 s by default) anyway. */
const MAX_WAIT_SECONDS = 3600;

export interface NewMailEvents {
  /** Rows that were not in the inbox the browser last saw; `total`: how many there are now. */
  found(rows: InboxRow[], total: number): Promise<void>;
  /** The connection failed while looking: the session is over. */
  failed(error: unknown): Promise<void>;
}

/** What the browser has seen of the inbox, to tell new mail from old. */
class SeenInbox {
  #rows: readonly InboxRow[] | undefined;

  /** Records a listing; returns the rows that are new since the last one (none for the first). */
  update(rows: readonly InboxRow[]): InboxRow[] {
    const known = this.#rows;
    this.#rows = rows;
    if (known === undefined) return [];
    // With ids, a deletion elsewhere cannot hide a delivery (a scan of the ids when mail was
    // only appended, whatever the inbox's size); without, the inbox only grows.
    if (rows.every((row) => row.id !== undefined) && known.every((row) => row.id !== undefined))
      return inboxChanges(known, rows).added;
    return rows.length > known.length ? rows.filter((row) => row.index > known.length) : [];
  }

  get newestId(): string | undefined {
    return this.#rows?.at(-1)?.id;
  }
}

export class NewMailWatch {
  readonly #client: MailClient;
  readonly #events: NewMailEvents;
  readonly #pollMs: number;
  readonly #waitSeconds: number;
  readonly #seen = new SeenInbox();
  #stopped = false;
  /** Requests of the browser running now; the watch rests while there are any. */
  #busy = 0;
  #resume: (() => void) | undefined;
  #waiting: { controller: AbortController; done: Promise<unknown> } | undefined;

  constructor(
    client: MailClient,
    pollMs: number,
    events: NewMailEvents,
    /** How long one wait may last: waitSecondsWithin(the session's reply timeout). */
    waitSeconds: number,
  ) {
    this.#client = client;
    this.#pollMs = pollMs;
    this.#waitSeconds = waitSeconds;
    this.#events = events;
  }

  /** Whether new mail is pushed by the server (else found by listing every pollMs). */
  get pushed(): boolean {
    return this.#client.capabilities.waitForMail;
  }

  start(): void {
    if (this.pushed) void this.#pushLoop();
    else if (this.#pollMs > 0) void this.#pollLoop();
  }

  stop(): void {
    this.#stopped = true;
    this.#waiting?.controller.abort();
    this.#resume?.();
  }

  /** The browser listed the inbox itself: what it saw is no longer new. */
  seen(rows: readonly InboxRow[]): void {
    this.#seen.update(rows);
  }

  /** Runs a browser's request, with any wait ended first and taken up again after. */
  async around<T>(request: () => Promise<T>): Promise<T> {
    this.#busy++;
    const waiting = this.#waiting;
    waiting?.controller.abort();
    await waiting?.done.catch(() => undefined);
    try {
      return await request();
    } finally {
      this.#busy--;
      if (this.#busy === 0) this.#resume?.();
    }
  }

  /** Until no request of the browser is running. */
  #idle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#resume = () => {
        this.#resume = undefined;
        resolve();
      };
    });
  }

  async #pushLoop(): Promise<void> {
    try {
      // The inbox as it is now, so that a wait knows what is new.
      await this.#look();
      for (;;) {
        await this.#idle();
        if (this.#stopped) return;
        const controller = new AbortController();
        const outcome = this.#client.waitForMail({
          timeoutSeconds: this.#waitSeconds,
          newestKnownId: this.#seen.newestId,
          signal: controller.signal,
        });
        this.#waiting = { controller, done: outcome };
        const ended = await outcome;
        this.#waiting = undefined;
        // stop() may have been called while the wait was on the wire.
        if (this.#hasStopped()) return;
        if (ended === 'newMail' && this.#busy === 0) await this.#look();
      }
    } catch (error) {
      if (!this.#stopped) await this.#events.failed(error);
    }
  }

  async #pollLoop(): Promise<void> {
    try {
      await this.#look();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
        await this.#idle();
        if (this.#stopped) return;
        await this.#look();
      }
    } catch (error) {
      if (!this.#stopped) await this.#events.failed(error);
    }
  }

  #hasStopped(): boolean {
    return this.#stopped;
  }

  async #look(): Promise<void> {
    const { rows } = await this.#client.listInbox();
    // A sign-out may have come in while the listing was on the wire.
    if (this.#hasStopped()) return;
    const fresh = this.#seen.update(rows);
    if (fresh.length > 0) await this.#events.found(fresh, rows.length);
  }
}
