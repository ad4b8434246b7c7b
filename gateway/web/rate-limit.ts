/** At most `max` events in any `windowMs`: the sign-in limiter (password guessing through the gateway). */
export class SlidingWindowLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #times: number[] = [];

  constructor(max: number, windowMs: number, now: () => number = Date.now) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Counts one event; returns 0 when allowed, else the milliseconds until one would be. */
  take(): number {
    const now = this.#now();
    this.#times = this.#times.filter((time) => now - time < this.#windowMs);
    if (this.#times.length >= this.#max) {
      const oldest = this.#times[0] ?? now;
      return Math.max(1, oldest + this.#windowMs - now);
    }
    this.#times.push(now);
    return 0;
  }
}
