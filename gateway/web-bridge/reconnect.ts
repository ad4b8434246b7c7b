/**
 * A session child whose mail server went away keeps the account (it holds the unlocked key,
 * and the password in its memory, as a mail client does) and connects again: after 0.5 s,
 * then 1, 2, 4, 8, at most 15 s between tries, each with ±20 % jitter so that the sessions of
 * one gateway do not all knock at once. A try now ("Try now" in the page) skips the wait.
 * A try refused in a way that trying again cannot fix (the password was changed, the server's
 * key does not verify, the user's key is gone) ends the session with what to do.
 */
import type { MailClient } from '../protocol-client/mail-client.js';
import type { SessionEndReason } from '../messages.js';
import { signInFailure } from './errors.js';

export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_MS = 15_000;

/** The wait before try `attempt` (0 for the first): doubling from 0.5 s to 15 s, ±20 %. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface ReconnectHooks {
  /** A new protocol session for the same account, with the same password and key. */
  connect(): Promise<MailClient>;
  /** The connection is lost; the next try is in `retryInMs`. */
  waiting(retryInMs: number, attempts: number): Promise<void>;
  /** Connected again. */
  restored(client: MailClient): Promise<void>;
  /** A try failed in a way that trying again cannot fix: the session ends. */
  gaveUp(error: unknown): Promise<void>;
}

/** The failures of a try that end the session rather than wait for the next try. */
export function isPermanentFailure(error: unknown, username: string, server: string): boolean {
  const { code } = signInFailure(error, { username, server });
  return code === 'WRONG_CREDENTIALS' || code === 'SERVER_IDENTITY' || code === 'MISSING_KEY';
}

/** Why the session ended when a reconnection was refused, as the browser is told. */
export function endOfReconnect(
  error: unknown,
  username: string,
  server: string,
): { reason: SessionEndReason; message: string } {
  const failure = signInFailure(error, { username, server });
  if (failure.code === 'WRONG_CREDENTIALS')
    return {
      reason: 'passwordChanged',
      message: `The mail server at ${server} refused the password of ${username} when the session connected again: it may have been changed. Sign in again with the new password.`,
    };
  return {
    reason: 'error',
    message: `The session could not connect to the mail server again: ${failure.message}. Sign in again.`,
  };
}

export class Reconnector {
  readonly #hooks: ReconnectHooks;
  readonly #isPermanent: (error: unknown) => boolean;
  readonly #random: () => number;
  #active = false;
  #trying = false;
  #stopped = false;
  #attempts = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    hooks: ReconnectHooks,
    isPermanent: (error: unknown) => boolean,
    random: () => number = Math.random,
  ) {
    this.#hooks = hooks;
    this.#isPermanent = isPermanent;
    this.#random = random;
  }

  /** Between a lost connection and a new one: requests are refused meanwhile. */
  get active(): boolean {
    return this.#active;
  }

  /** The connection was lost: start trying (nothing more if already trying). */
  lost(): void {
    if (this.#active || this.#stopped) return;
    this.#active = true;
    this.#attempts = 0;
    this.#schedule();
  }

  /** Try at once rather than at the next try's time. */
  tryNow(): void {
    if (!this.#active || this.#trying || this.#stopped) return;
    clearTimeout(this.#timer);
    void this.#try();
  }

  stop(): void {
    this.#stopped = true;
    this.#active = false;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    const delay = backoffMs(this.#attempts, this.#random);
    this.#timer = setTimeout(() => void this.#try(), delay);
    void this.#hooks.waiting(delay, this.#attempts);
  }

  async #try(): Promise<void> {
    this.#trying = true;
    this.#attempts++;
    let client: MailClient;
    try {
      client = await this.#hooks.connect();
    } catch (error) {
      this.#trying = false;
      if (this.#stopped) return;
      if (this.#isPermanent(error)) {
        this.stop();
        await this.#hooks.gaveUp(error);
        return;
      }
      this.#schedule();
      return;
    }
    this.#trying = false;
    if (this.#stopped) {
      client.destroy();
      return;
    }
    this.#active = false;
    await this.#hooks.restored(client);
  }
}
