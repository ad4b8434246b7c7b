/** setTimeout and clearTimeout, passed in so tests can use fake ones. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * A one-shot timer that can be paused and resumed: a notice waits while the pointer or the
 * keyboard focus is on it, and an email held for "Undo" is sent when the time is up.
 */
export class PausableTimer {
  readonly #clock: Clock;
  readonly #onDone: () => void;
  #remainingMs: number;
  #startedAt = 0;
  #handle: unknown;
  #state: 'paused' | 'running' | 'done' = 'paused';

  constructor(ms: number, onDone: () => void, clock: Clock = systemClock) {
    this.#remainingMs = ms;
    this.#onDone = onDone;
    this.#clock = clock;
    this.resume();
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  get remainingMs(): number {
    if (this.#state !== 'running') return this.#state === 'done' ? 0 : this.#remainingMs;
    return Math.max(0, this.#remainingMs - (this.#clock.now() - this.#startedAt));
  }

  pause(): void {
    if (this.#state !== 'running') return;
    this.#remainingMs = this.remainingMs;
    this.#clock.clearTimeout(this.#handle);
    this.#state = 'paused';
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#state = 'running';
    this.#startedAt = this.#clock.now();
    this.#handle = this.#clock.setTimeout(() => {
      this.finish();
    }, this.#remainingMs);
  }

  /** Runs the action now (e.g. "Send now"). */
  finish(): void {
    if (this.#state === 'done') return;
    this.#clock.clearTimeout(this.#handle);
    this.#state = 'done';
    this.#onDone();
  }

  cancel(): void {
    this.#clock.clearTimeout(this.#handle);
    this.#state = 'done';
  }
}
