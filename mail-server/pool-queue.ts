/**
 * The prefork pool's waiting queue: connections that have sent their first frame and wait for a
 * session process, oldest first, each closed if its login deadline passes while it waits.
 */
import type { Socket } from 'node:net';
import type { PendingLogins } from './pending-logins.js';

/** A connection that has sent its first frame and waits for a session process. */
export interface Waiting {
  socket: Socket;
  preread: Buffer;
  /** When its login must be complete (Date.now() milliseconds). */
  loginDeadline: number;
  address: string;
}

interface Queued extends Waiting {
  /** Closes it when its login deadline passes while it waits. */
  expiry: NodeJS.Timeout;
}

export class WaitingQueue {
  readonly #queue: Queued[] = [];
  readonly #pendingLogins: PendingLogins;
  readonly #onExpired: (waiting: Waiting) => void;

  /** `onExpired` hears of each connection closed at its login deadline, after it is closed. */
  constructor(pendingLogins: PendingLogins, onExpired: (waiting: Waiting) => void) {
    this.#pendingLogins = pendingLogins;
    this.#onExpired = onExpired;
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Puts a connection last in the queue. */
  add(connection: Waiting): void {
    const waiting: Queued = {
      ...connection,
      expiry: setTimeout(() => {
        const at = this.#queue.indexOf(waiting);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        this.drop(waiting);
        this.#onExpired(waiting);
      }, connection.loginDeadline - Date.now()),
    };
    this.#queue.push(waiting);
  }

  /** Takes out the newest connection and closes it (the queue is over its limit). */
  refuseNewest(): Waiting | undefined {
    const refused = this.#queue.pop();
    if (refused) this.drop(refused);
    return refused;
  }

  /**
   * Offers waiting connections, oldest first, to `hand`, which returns false when it has no
   * room (the offer then ends) and true when it took the connection (which leaves the queue).
   * Skips those `mayEnter` refuses (their address holds as many processes in login as it may);
   * closes those whose client went away.
   */
  handOut(mayEnter: (address: string) => boolean, hand: (waiting: Waiting) => boolean): void {
    for (let at = 0; at < this.#queue.length;) {
      const waiting = this.#queue[at];
      if (!waiting) break;
      if (waiting.socket.destroyed) {
        this.#queue.splice(at, 1);
        this.drop(waiting);
        continue;
      }
      if (!mayEnter(waiting.address)) {
        at++;
        continue;
      }
      if (!hand(waiting)) break;
      this.#queue.splice(at, 1);
      clearTimeout(waiting.expiry);
    }
  }

  /** Closes every waiting connection (the pool is closing). */
  dropAll(): void {
    for (const waiting of this.#queue.splice(0)) this.drop(waiting);
  }

  /** Closes a connection that never reached a session process. */
  drop(waiting: Waiting & { expiry?: NodeJS.Timeout }): void {
    clearTimeout(waiting.expiry);
    waiting.socket.destroy();
    this.#pendingLogins.settled(waiting.address, false);
  }
}
