/**
 * Per-page secrets: `GET /session` hands one to a page of the gateway's own origin, and that
 * page's WebSocket presents it in its first message. A page of another origin gets the cookie
 * sent along with its requests but cannot read a response (no CORS), so it never holds a
 * secret. Each secret is good once, for a short time; only a bounded number wait at a time.
 */
import { newSecret, secretsEqual } from './security.js';

export class PageSecrets {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  /** Secret → when it expires, oldest first (a Map keeps insertion order). */
  readonly #waiting = new Map<string, number>();

  constructor(ttlMs: number, max: number, now: () => number) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#now = now;
  }

  issue(): string {
    this.#dropExpired();
    while (this.#waiting.size >= this.#max) {
      const oldest = this.#waiting.keys().next();
      if (oldest.done === true) break;
      this.#waiting.delete(oldest.value);
    }
    const secret = newSecret();
    this.#waiting.set(secret, this.#now() + this.#ttlMs);
    return secret;
  }

  /** True, once, for a secret that was issued and has not expired. */
  redeem(given: string): boolean {
    this.#dropExpired();
    for (const secret of this.#waiting.keys()) {
      if (secretsEqual(given, secret)) {
        this.#waiting.delete(secret);
        return true;
      }
    }
    return false;
  }

  #dropExpired(): void {
    const now = this.#now();
    for (const [secret, expires] of this.#waiting) if (now >= expires) this.#waiting.delete(secret);
  }
}
