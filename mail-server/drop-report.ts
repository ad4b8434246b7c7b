/**
 * Connections the server closes before a session (too many from one address, the waiting room
 * or the queue full) are counted, not logged one by one: a flood of them would otherwise write
 * a line each, as fast as an attacker connects. As Dovecot does, at most one line a second says
 * how many were dropped and why: the first drop at once, the rest summed at the end of each
 * second in which any came.
 */
import type { Logger } from './log.js';

export class DropReport {
  readonly #log: Logger;
  readonly #intervalMs: number;
  /** Drops not logged yet, by reason. */
  #pending = new Map<string, number>();
  #lastAddress = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, intervalMs = 1000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /** A connection from `address` was closed for `reason` (a sentence an operator can act on). */
  dropped(reason: string, address: string): void {
    this.#pending.set(reason, (this.#pending.get(reason) ?? 0) + 1);
    this.#lastAddress = address;
    if (this.#timer) return;
    this.#flush();
  }

  /** Logs what is pending; the next line waits a whole interval. */
  #flush(): void {
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const reasons = Object.fromEntries(this.#pending);
    const count = [...this.#pending.values()].reduce((sum, n) => sum + n, 0);
    const why = [...this.#pending].map(([reason, n]) => `${reason}: ${n}`).join('; ');
    this.#log.warn(
      { dropped: count, reasons, lastAddress: this.#lastAddress },
      `connections dropped: ${count} (${why})`,
    );
    this.#pending = new Map();
    this.#timer = setTimeout(() => {
      this.#flush();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Logs what is pending now and stops the timer (the server is closing). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
