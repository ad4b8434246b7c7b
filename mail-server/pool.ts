import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { Logger } from './log.js';
import type { PendingLogins } from './pending-logins.js';
import type { LoginThrottle } from './throttle.js';
import { ThrottleDesk } from './throttle-ipc.js';
import {
  isFromWorker,
  isThrottleRequest,
  type ToWorker,
  type WorkerConfig,
} from './worker-protocol.js';

export interface PoolOptions {
  workerScript: string;
  config: WorkerConfig;
  /** Sessions served at once; further connections wait in the queue. */
  maxSessions: number;
  /** Sessions a child serves before it is replaced; 1 gives every client a fresh process. */
  maxUse: number;
  /** Idle children kept started ahead, so that a client does not wait for Node's start-up. */
  spare: number;
  /** Connections allowed to wait for a free session; beyond it they are closed. */
  maxQueue: number;
  /** Shared by every child: a client's attempts are counted whichever child serves them. */
  throttle: LoginThrottle;
  /** Connections not logged in yet, per address: how many may hold a process at once. */
  pendingLogins: PendingLogins;
}

/** A connection that has sent its first frame and waits for a session process. */
interface Waiting {
  socket: Socket;
  preread: Buffer;
  /** When its login must be complete (Date.now() milliseconds). */
  loginDeadline: number;
  address: string;
  /** Closes it when its login deadline passes while it waits. */
  expiry: NodeJS.Timeout;
}

/** The least time a session process gives a login, however long it waited for the process. */
const MIN_LOGIN_MS = 5000;

/** Children started at once; more wait until these are ready (see #topUp). */
const MAX_STARTING = 4;

interface Worker {
  child: ChildProcess;
  state: 'starting' | 'idle' | 'busy' | 'retiring';
  uses: number;
  /** The address of the client it serves, while that client has not logged in. */
  loggingIn: string | undefined;
}

/**
 * A prefork pool of session children, in the manner of Apache's prefork and Postfix's master:
 * spare children wait ready, each serves one client at a time, a child that dies is replaced.
 * Emits 'died' (pid, wasBusy) when a child ends without being asked to.
 */
export class WorkerPool extends EventEmitter {
  readonly #options: PoolOptions;
  readonly #log: Logger;
  readonly #workers = new Map<number, Worker>();
  readonly #queue: Waiting[] = [];
  #closing = false;

  constructor(options: PoolOptions, log: Logger) {
    super();
    this.#options = options;
    this.#log = log;
  }

  get stats(): { workers: number; busy: number; idle: number; starting: number; queued: number } {
    const count = (state: Worker['state']): number =>
      [...this.#workers.values()].filter((worker) => worker.state === state).length;
    return {
      workers: this.#workers.size,
      busy: count('busy'),
      idle: count('idle'),
      starting: count('starting'),
      queued: this.#queue.length,
    };
  }

  /** Starts the spare children; resolves when they are ready. */
  async start(): Promise<void> {
    this.#topUp();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.stats.starting === 0) {
          this.off('ready', check);
          resolve();
        }
      };
      this.on('ready', check);
      check();
    });
  }

  /** A connection that has spoken, from `address`, whose login must be complete by `loginDeadline`. */
  submit(socket: Socket, preread: Buffer, loginDeadline: number, address: string): void {
    if (this.#closing) {
      this.#drop({ socket, address });
      return;
    }
    const waiting: Waiting = {
      socket,
      preread,
      loginDeadline,
      address,
      expiry: setTimeout(() => {
        const at = this.#queue.indexOf(waiting);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        this.#log.info(
          { address },
          'connection closed: no session process before its login deadline',
        );
        this.#drop(waiting);
      }, loginDeadline - Date.now()),
    };
    this.#queue.push(waiting);
    this.#log.debug({ ...this.stats, preread: preread.length }, 'connection waits for a session');
    this.#dispatch();
    // Only a connection that must wait counts against the queue's limit.
    if (this.#queue.length > this.#options.maxQueue) {
      const refused = this.#queue.pop();
      this.#log.warn(
        { queued: this.#queue.length },
        'too many waiting connections; closing a new one',
      );
      if (refused) this.#drop(refused);
    }
  }

  /** Closes a connection that never reached a session process. */
  #drop(waiting: Pick<Waiting, 'socket' | 'address'> & { expiry?: NodeJS.Timeout }): void {
    clearTimeout(waiting.expiry);
    waiting.socket.destroy();
    this.#options.pendingLogins.settled(waiting.address, false);
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const waiting of this.#queue.splice(0)) this.#drop(waiting);
    const exits = [...this.#workers.values()].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
            resolve();
            return;
          }
          worker.child.once('exit', () => {
            resolve();
          });
          worker.child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  #busyCount(): number {
    let count = 0;
    for (const worker of this.#workers.values()) if (worker.state === 'busy') count++;
    return count;
  }

  /**
   * Hands waiting connections to idle processes, oldest first, skipping those whose address
   * already holds as many processes in login as it may.
   */
  #dispatch(): void {
    const { pendingLogins } = this.#options;
    for (let at = 0; at < this.#queue.length;) {
      const waiting = this.#queue[at];
      if (!waiting) break;
      if (waiting.socket.destroyed) {
        this.#queue.splice(at, 1);
        this.#drop(waiting);
        continue;
      }
      if (!pendingLogins.mayEnterProcess(waiting.address)) {
        at++;
        continue;
      }
      const worker = this.#idleWorker();
      if (!worker) break;
      this.#queue.splice(at, 1);
      clearTimeout(waiting.expiry);
      this.#assign(worker, waiting);
    }
    this.#topUp();
  }

  #idleWorker(): Worker | undefined {
    for (const worker of this.#workers.values()) if (worker.state === 'idle') return worker;
    return undefined;
  }

  /** The client of a worker logged in, or its session ended before it did. */
  #loginSettled(worker: Worker): void {
    if (worker.loggingIn === undefined) return;
    this.#options.pendingLogins.settled(worker.loggingIn, true);
    worker.loggingIn = undefined;
  }

  /**
   * Keeps `spare` children idle or starting, plus one for each waiting client, starting at most
   * MAX_STARTING at a time: on a burst, children started together all share the CPU and are all
   * ready late; a few at a time, the first waiting clients are served early.
   */
  #topUp(): void {
    if (this.#closing) return;
    const { spare, maxSessions } = this.#options;
    let ready = 0;
    let starting = 0;
    for (const worker of this.#workers.values()) {
      if (worker.state === 'idle') ready++;
      if (worker.state === 'starting') starting++;
    }
    const busy = this.#busyCount();
    const wanted = Math.min(spare + this.#queue.length, Math.max(0, maxSessions - busy));
    const toStart = Math.min(wanted - ready - starting, MAX_STARTING - starting);
    for (let i = 0; i < toStart; i++) this.#spawn();
  }

  #spawn(): void {
    const child = fork(this.#options.workerScript, [JSON.stringify(this.#options.config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pid = child.pid;
    if (pid === undefined) {
      this.#log.error('a session process could not be started');
      return;
    }
    const worker: Worker = { child, state: 'starting', uses: 0, loggingIn: undefined };
    this.#workers.set(pid, worker);
    const throttle = new ThrottleDesk(this.#options.throttle, child);
    child.on('message', (message: unknown) => {
      if (isThrottleRequest(message)) {
        void throttle.handle(message);
        return;
      }
      if (!isFromWorker(message)) return;
      if (message.type === 'logged-in') {
        this.#loginSettled(worker);
      } else if (message.type === 'ready') {
        worker.state = 'idle';
        // After #dispatch below has started the next ones, so that start() sees them.
        setImmediate(() => this.emit('ready', pid));
      } else if (message.type === 'done') {
        this.#log.debug({ pid }, 'session process is free');
        this.#loginSettled(worker);
        worker.uses++;
        if (worker.uses >= this.#options.maxUse) this.#retire(worker);
        else worker.state = 'idle';
      }
      this.#dispatch();
    });
    child.on('error', (error) => {
      this.#log.error({ pid, err: error.message }, 'session process error');
    });
    child.on('exit', (code, signal) => {
      throttle.releaseAll();
      this.#loginSettled(worker);
      const wasBusy = worker.state === 'busy';
      const expected = worker.state === 'retiring' || this.#closing;
      this.#workers.delete(pid);
      if (worker.state === 'starting') setImmediate(() => this.emit('ready', pid));
      if (!expected) {
        this.#log.warn(
          { pid, code, signal, wasBusy, state: worker.state, uses: worker.uses },
          'session process died; replacing it',
        );
        this.emit('died', pid, wasBusy);
      }
      this.#dispatch();
    });
  }

  #assign(worker: Worker, { socket, preread, loginDeadline, address }: Waiting): void {
    worker.state = 'busy';
    worker.loggingIn = address;
    this.#options.pendingLogins.enteredProcess(address);
    this.#log.debug({ pid: worker.child.pid }, 'connection handed to a session process');
    const message: ToWorker = {
      type: 'session',
      preread: preread.toString('base64'),
      // At least a moment: a client that waited in the queue for a free process is not its fault.
      loginDeadlineMs: Math.max(loginDeadline - Date.now(), MIN_LOGIN_MS),
    };
    worker.child.send(message, socket, (error) => {
      if (error) {
        this.#log.error(
          { pid: worker.child.pid, err: error.message },
          'could not hand a connection over',
        );
        socket.destroy();
      }
    });
  }

  #retire(worker: Worker): void {
    worker.state = 'retiring';
    const message: ToWorker = { type: 'exit' };
    worker.child.send(message);
  }
}
