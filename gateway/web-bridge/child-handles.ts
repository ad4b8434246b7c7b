/**
 * The main process's handle on session children: it forks them, relays IPC, and makes sure
 * none outlives its browser session or the gateway.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Reply } from '../messages.js';
import { isChildToParent, type ParentToChild } from './child-protocol.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One forked session child. */
export class SessionProcess {
  readonly #child: ChildProcess;
  /** Resolves when the process has exited and its IPC channel is drained. */
  readonly closed: Promise<ChildExit>;
  #onReply: ((reply: Reply) => void) | undefined;
  #ready = false;
  /** Messages held until the child says it listens. */
  #queue: ParentToChild[] = [];
  #killTimer: NodeJS.Timeout | undefined;

  constructor(script: string) {
    this.#child = fork(script, [], {
      // The gateway's own flags (a test runner's loaders, say) are not for the child.
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.#child.on('message', (message: unknown) => {
      // A child that sends anything else has gone wrong: it is not listened to again.
      if (!isChildToParent(message)) {
        this.kill();
        return;
      }
      if (message.type === 'ready') {
        this.#ready = true;
        const queued = this.#queue;
        this.#queue = [];
        for (const item of queued) this.#write(item);
        return;
      }
      this.#onReply?.(message);
    });
    // An IPC write to a child that just died: its 'close' reports the end.
    this.#child.on('error', () => undefined);
    // 'close' (not 'exit') comes after the last IPC message has been delivered. Not
    // events.once: it would reject on the child's 'error' (an IPC write to a dead child).
    this.closed = new Promise((resolve) => {
      this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(this.#killTimer);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return (
      this.#child.exitCode === null && this.#child.signalCode === null && this.#child.connected
    );
  }

  /** Where the child's replies go; a spare child has nobody to answer yet. */
  attach(onReply: (reply: Reply) => void): void {
    this.#onReply = onReply;
  }

  /** False when the child can no longer be reached. */
  send(message: ParentToChild): boolean {
    if (!this.#child.connected) return false;
    if (!this.#ready) {
      this.#queue.push(message);
      return true;
    }
    return this.#write(message);
  }

  /** Asks the child to sign out quietly; kills it when it has not left within `graceMs`. */
  end(graceMs: number): Promise<ChildExit> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.send({ type: 'signOut', id: null });
      clearTimeout(this.#killTimer);
      this.#killTimer = setTimeout(() => {
        this.kill();
      }, graceMs);
      this.#killTimer.unref();
    }
    return this.closed;
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill('SIGKILL');
  }

  #write(message: ParentToChild): boolean {
    try {
      // false only means a backlog (a 1 MB email, say): the message is still queued and delivered.
      this.#child.send(message);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Every session child of the gateway. One spare child is kept started ahead, so that a
 * sign-in does not wait for Node to boot; each browser session still gets a process of its own.
 */
export class SessionChildren {
  readonly #script: string;
  readonly #spares: number;
  readonly #assigned = new Set<SessionProcess>();
  #spare: SessionProcess | undefined;
  #closing = false;

  constructor(script: string, spares: number) {
    this.#script = script;
    this.#spares = spares;
    this.#refill();
  }

  /** Children serving a browser session. */
  get count(): number {
    return this.#assigned.size;
  }

  /** Pids of the children serving browser sessions. */
  pids(): number[] {
    return [...this.#assigned].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** A child for a new browser session. */
  start(onReply: (reply: Reply) => void): SessionProcess {
    let child = this.#spare;
    this.#spare = undefined;
    if (!child?.running) {
      child?.kill();
      child = new SessionProcess(this.#script);
    }
    child.attach(onReply);
    this.#assigned.add(child);
    const assigned = child;
    void child.closed.then(() => this.#assigned.delete(assigned));
    setImmediate(() => {
      this.#refill();
    });
    return child;
  }

  /** Ends every child (politely, then by force) and waits until all are gone. */
  async closeAll(graceMs: number): Promise<void> {
    this.#closing = true;
    const spare = this.#spare;
    this.#spare = undefined;
    spare?.kill();
    await Promise.all([...this.#assigned].map((child) => child.end(graceMs)));
    await spare?.closed;
  }

  #refill(): void {
    if (this.#closing || this.#spares <= 0 || this.#spare?.running) return;
    const spare = new SessionProcess(this.#script);
    this.#spare = spare;
    // A spare that dies unused is replaced at the next sign-in, not in a loop.
    void spare.closed.then(() => {
      if (this.#spare === spare) this.#spare = undefined;
    });
  }
}
