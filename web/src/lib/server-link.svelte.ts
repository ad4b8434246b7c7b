import type { ServerConnection } from '../../../gateway/messages.js';

/**
 * The session's connection to the mail server, as the page shows it: while the gateway's
 * session process reconnects (gateway/web-bridge/reconnect.ts) the mail that was loaded stays on
 * screen under a banner that counts down to the next try and offers to try now.
 */
export class ServerLink {
  /** The server cannot be reached; the session process is trying again. */
  lost = $state(false);
  /** Whole seconds until the next try (0: trying now). */
  secondsLeft = $state(0);
  /** Tries made since the connection was lost. */
  attempts = $state(0);
  #retryAt = 0;
  #countdown: ReturnType<typeof setInterval> | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Text for the banner: what is wrong, and when the next try is. */
  get text(): string {
    return this.secondsLeft > 0
      ? `The mail server cannot be reached; trying again in ${String(this.secondsLeft)} s.`
      : 'The mail server cannot be reached; trying again now.';
  }

  /**
   * The session process said how the connection is. Returns what changed, to be announced
   * once (the banner's countdown is not a live region: it would speak every second).
   */
  apply(event: ServerConnection): 'lost' | 'back' | undefined {
    const wasLost = this.lost;
    if (event.state === 'restored') {
      this.reset();
      return wasLost ? 'back' : undefined;
    }
    this.lost = true;
    this.attempts = event.attempts;
    this.#retryAt = this.#now() + event.retryInMs;
    this.#tick();
    clearInterval(this.#countdown);
    this.#countdown = setInterval(() => {
      this.#tick();
    }, 250);
    return wasLost ? undefined : 'lost';
  }

  /** "Try now" was pressed: the countdown shows the try under way. */
  tryingNow(): void {
    this.#retryAt = this.#now();
    this.#tick();
  }

  /** The session is over, or back: no banner. */
  reset(): void {
    clearInterval(this.#countdown);
    this.#countdown = undefined;
    this.lost = false;
    this.secondsLeft = 0;
    this.attempts = 0;
  }

  /** Said once to a screen reader when the connection is lost, and when it is back. */
  static announcement(change: 'lost' | 'back'): string {
    return change === 'lost'
      ? 'The mail server cannot be reached; trying again.'
      : 'The mail server is back.';
  }

  #tick(): void {
    this.secondsLeft = Math.max(0, Math.ceil((this.#retryAt - this.#now()) / 1000));
  }
}
