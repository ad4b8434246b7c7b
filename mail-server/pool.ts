import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { Logger } from './log.js';
import type { PendingLogins } from './pending-logins.js';
import {
  idleToRetire,
  processesToStart,
  StartBackoff,
  StartRamp,
  type SizingLimits,
} from './pool-sizing.js';
import type { SessionImage } from './session-image.js';
import type { LoginThrottle } from './throttle/rules.js';
import { ThrottleDesk } from './throttle/ipc.js';
import {
  isFromWorker,
  isThrottleRequest,
  type ToWorker,
  type WorkerConfig,
} from './worker-protocol.js';

export interface PoolOptions {
  /** How a session process is started (session-image.ts). */
  image: SessionImage;
  config: WorkerConfig;
  /** Sessions served at once; further connections wait in the queue. */
  maxSessions: number;
  /** Sessions a child serves before it is replaced; 1 gives every client a fresh process. */
  maxUse: number;
  /** Sessions a child serves at once (Dovecot's client_limit); 1 keeps every client apart. */
  clientsPerProcess: number;
  /** Free session slots kept started ahead, so that a client does not wait for Node's start-up. */
  spare: number;
  /** Idle children beyond this many are retired as soon as they are idle. */
  maxSpare: number;
  /** An idle child beyond the spares is retired after this long. */
  maxIdleMs: number;
  /** Children started at once, at most, while spares are short (the ramp's ceiling). */
  maxStarting: number;
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

/** A connection served by a child; `loggingIn` until its client has logged in. */
interface Served {
  address: string;
  loggingIn: boolean;
}

interface Worker {
  child: ChildProcess;
  state: 'starting' | 'ready' | 'retiring';
  /** Sessions handed to it so far. */
  uses: number;
  sessions: Map<number, Served>;
  /** When its last session ended (or it became ready), while it serves none. */
  idleSince: number;
  /** The home's generation it was started with (see reloadHome). */
  generation: number;
}

export interface PoolStats {
  workers: number;
  /** Children serving at least one session. */
  busy: number;
  /** Ready children serving none. */
  idle: number;
  starting: number;
  sessions: number;
  queued: number;
}

/**
 * A prefork pool of session children, in the manner of Apache's prefork, Postfix's master and
 * Dovecot's services: spare children wait ready, more are started (a few at a time, then more)
 * while spares are short, idle extras are retired, each child serves `clientsPerProcess`
 * clients at a time and `maxUse` in all, a child that dies is replaced.
 * Emits 'died' (pid, wasBusy) when a child ends without being asked to.
 */
export class WorkerPool extends EventEmitter {
  readonly #options: PoolOptions;
  readonly #log: Logger;
  /** Bumped at each reload of the home's users. */
  #generation = 0;
  readonly #workers = new Map<number, Worker>();
  readonly #queue: Waiting[] = [];
  readonly #ramp: StartRamp;
  readonly #backoff = new StartBackoff();
  #backoffTimer: NodeJS.Timeout | undefined;
  readonly #sizing: SizingLimits;
  readonly #idleCheck: NodeJS.Timeout;
  readonly #maxSpare: number;
  #nextConnection = 1;
  #closing = false;

  constructor(options: PoolOptions, log: Logger) {
    super();
    this.#options = options;
    this.#log = log;
    this.#ramp = new StartRamp(options.maxStarting);
    const slotsPerProcess = Math.max(1, Math.min(options.clientsPerProcess, options.maxUse));
    this.#sizing = { spare: options.spare, maxSessions: options.maxSessions, slotsPerProcess };
    // Never fewer idle processes allowed than the spares take, or they would be retired and started again.
    this.#maxSpare = Math.max(options.maxSpare, Math.ceil(options.spare / slotsPerProcess));
    this.#idleCheck = setInterval(
      () => {
        this.#retireIdle();
      },
      Math.min(1000, options.maxIdleMs),
    );
    this.#idleCheck.unref();
  }

  get stats(): PoolStats {
    const stats: PoolStats = {
      workers: this.#workers.size,
      busy: 0,
      idle: 0,
      starting: 0,
      sessions: 0,
      queued: this.#queue.length,
    };
    for (const worker of this.#workers.values()) {
      stats.sessions += worker.sessions.size;
      if (worker.state === 'starting') stats.starting++;
      else if (worker.sessions.size > 0) stats.busy++;
      else if (worker.state === 'ready') stats.idle++;
    }
    return stats;
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
    this.#enqueue({ socket, preread, loginDeadline, address }, 'last');
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

  /** Puts a connection in the queue, closed if its login deadline passes while it waits. */
  #enqueue(connection: Omit<Waiting, 'expiry'>, place: 'first' | 'last'): void {
    const waiting: Waiting = {
      ...connection,
      expiry: setTimeout(() => {
        const at = this.#queue.indexOf(waiting);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        this.#log.info(
          { address: connection.address },
          'connection closed: no session process before its login deadline',
        );
        this.#drop(waiting);
      }, connection.loginDeadline - Date.now()),
    };
    if (place === 'first') this.#queue.unshift(waiting);
    else this.#queue.push(waiting);
  }

  /** Closes a connection that never reached a session process. */
  #drop(waiting: Pick<Waiting, 'socket' | 'address'> & { expiry?: NodeJS.Timeout }): void {
    clearTimeout(waiting.expiry);
    waiting.socket.destroy();
    this.#options.pendingLogins.settled(waiting.address, false);
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#idleCheck);
    clearTimeout(this.#backoffTimer);
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

  /** Sessions a worker can start now: none unless ready, bounded by its use count too. */
  #freeSlots(worker: Worker): number {
    if (worker.state !== 'ready' || !worker.child.connected) return 0;
    const { clientsPerProcess, maxUse } = this.#options;
    return Math.max(0, Math.min(clientsPerProcess - worker.sessions.size, maxUse - worker.uses));
  }

  #activeSessions(): number {
    let count = 0;
    for (const worker of this.#workers.values()) count += worker.sessions.size;
    return count;
  }

  /**
   * Hands waiting connections to processes with a free slot, oldest connection first, skipping
   * those whose address already holds as many processes in login as it may.
   */
  #dispatch(): void {
    const { pendingLogins, maxSessions } = this.#options;
    let active = this.#activeSessions();
    for (let at = 0; at < this.#queue.length && active < maxSessions;) {
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
      const worker = this.#workerWithRoom();
      if (!worker) break;
      this.#queue.splice(at, 1);
      clearTimeout(waiting.expiry);
      this.#assign(worker, waiting);
      active++;
    }
    this.#topUp();
  }

  /**
   * A ready process with a free slot; with several clients per process, the fullest one, so
   * that the others drain and can be retired.
   */
  #workerWithRoom(): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.#workers.values()) {
      if (this.#freeSlots(worker) === 0) continue;
      if (!best || worker.sessions.size > best.sessions.size) best = worker;
    }
    return best;
  }

  #counts(): { freeSlots: number; starting: number; active: number; queued: number } {
    let freeSlots = 0;
    let starting = 0;
    let active = 0;
    for (const worker of this.#workers.values()) {
      freeSlots += this.#freeSlots(worker);
      if (worker.state === 'starting') starting++;
      active += worker.sessions.size;
    }
    return { freeSlots, starting, active, queued: this.#queue.length };
  }

  /** Starts processes for the spares and the waiting connections, as many at once as the ramp allows. */
  #topUp(): void {
    if (this.#closing || this.#backoffTimer) return;
    const wait = this.#backoff.waitMs(Date.now());
    if (wait > 0) {
      this.#backoffTimer = setTimeout(() => {
        this.#backoffTimer = undefined;
        this.#dispatch();
      }, wait);
      return;
    }
    const toStart = processesToStart(this.#counts(), this.#sizing, this.#ramp.limit);
    for (let i = 0; i < toStart; i++) this.#spawn();
  }

  /** Retires idle processes beyond --max-spare, and those idle too long beyond the spares. */
  #retireIdle(): void {
    if (this.#closing) return;
    const idle: Worker[] = [];
    let otherFreeSlots = 0;
    for (const worker of this.#workers.values()) {
      if (worker.state === 'ready' && worker.sessions.size === 0) idle.push(worker);
      else otherFreeSlots += this.#freeSlots(worker);
    }
    const { spare, maxIdleMs } = this.#options;
    const retired = idleToRetire(
      idle.map((worker) => worker.idleSince),
      Date.now(),
      { spare, maxSpare: this.#maxSpare, maxIdleMs, slotsPerProcess: this.#sizing.slotsPerProcess },
      otherFreeSlots,
    );
    for (const at of retired) {
      const worker = idle[at];
      if (worker) this.#retire(worker);
    }
  }

  #spawn(): void {
    const { image, config } = this.#options;
    const child = image.start(JSON.stringify(config));
    const pid = child.pid;
    if (pid === undefined) {
      this.#log.error('a session process could not be started');
      return;
    }
    const worker: Worker = {
      child,
      state: 'starting',
      uses: 0,
      sessions: new Map(),
      idleSince: Date.now(),
      generation: this.#generation,
    };
    this.#workers.set(pid, worker);
    const throttle = new ThrottleDesk(this.#options.throttle, child);
    child.on('message', (message: unknown) => {
      if (isThrottleRequest(message)) {
        void throttle.handle(message);
        return;
      }
      if (!isFromWorker(message)) return;
      if (message.type === 'logged-in') {
        this.#loginSettled(worker, message.connection);
      } else if (message.type === 'ready' && worker.state === 'starting') {
        // It read the home before a reload it could not hear of yet: it rereads it before any
        // session (the reload is ahead of them on the same channel).
        if (worker.generation < this.#generation) this.#tellReload(worker);
        worker.state = 'ready';
        worker.idleSince = Date.now();
        this.#backoff.succeeded();
        this.#ramp.started(processesToStart(this.#counts(), this.#sizing, Infinity) > 0);
        // After #dispatch below has started the next ones, so that start() sees them.
        setImmediate(() => this.emit('ready', pid));
      } else if (message.type === 'done') {
        this.#sessionEnded(worker, message.connection);
      }
      this.#dispatch();
    });
    child.on('error', (error) => {
      this.#log.error({ pid, err: error.message }, 'session process error');
    });
    child.on('exit', (code, signal) => {
      throttle.releaseAll();
      for (const connection of worker.sessions.keys()) this.#loginSettled(worker, connection);
      const wasBusy = worker.sessions.size > 0;
      const expected = worker.state === 'retiring' || this.#closing;
      this.#workers.delete(pid);
      if (worker.state === 'starting') {
        this.#ramp.started(false);
        setImmediate(() => this.emit('ready', pid));
        const wait = expected ? 0 : this.#backoff.failed(Date.now());
        if (wait > 0)
          this.#log.error(
            { pid, code, signal, waitMs: wait },
            'session processes end before they are ready; waiting before starting another',
          );
      }
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

  /** The client of a connection logged in, or its session ended before it did. */
  #loginSettled(worker: Worker, connection: number): void {
    const served = worker.sessions.get(connection);
    if (!served?.loggingIn) return;
    served.loggingIn = false;
    this.#options.pendingLogins.settled(served.address, true);
  }

  #sessionEnded(worker: Worker, connection: number): void {
    this.#loginSettled(worker, connection);
    if (!worker.sessions.delete(connection)) return;
    this.#log.debug({ pid: worker.child.pid }, 'a session of a session process ended');
    if (worker.sessions.size > 0) return;
    worker.idleSince = Date.now();
    if (worker.uses >= this.#options.maxUse) this.#retire(worker);
    else if (this.stats.idle > this.#maxSpare) this.#retire(worker);
  }

  #assign(worker: Worker, { socket, preread, loginDeadline, address }: Waiting): void {
    const connection = this.#nextConnection++;
    worker.uses++;
    worker.sessions.set(connection, { address, loggingIn: true });
    this.#options.pendingLogins.enteredProcess(address);
    this.#log.debug({ pid: worker.child.pid }, 'connection handed to a session process');
    const message: ToWorker = {
      type: 'session',
      connection,
      preread: preread.toString('base64'),
      // At least a moment: a client that waited in the queue for a free process is not its fault.
      loginDeadlineMs: Math.max(loginDeadline - Date.now(), MIN_LOGIN_MS),
    };
    worker.child.send(message, socket, (error) => {
      if (!error) return;
      this.#log.error(
        { pid: worker.child.pid, err: error.message },
        'could not hand a connection over',
      );
      socket.destroy();
      this.#sessionEnded(worker, connection);
    });
  }

  /**
   * The home's users changed (a reload): every session process rereads them before its next
   * login, so that none serves a password older than the last reload. Sessions already logged
   * in go on.
   */
  reloadHome(): void {
    this.#generation++;
    for (const worker of this.#workers.values())
      if (worker.state !== 'starting') this.#tellReload(worker);
  }

  #tellReload(worker: Worker): void {
    worker.generation = this.#generation;
    const message: ToWorker = { type: 'reload' };
    if (worker.child.connected) worker.child.send(message, () => undefined);
  }

  #retire(worker: Worker): void {
    worker.state = 'retiring';
    const message: ToWorker = { type: 'exit' };
    // A child already gone (the server stopping, a crash) has nothing left to be told.
    if (worker.child.connected) worker.child.send(message, () => undefined);
  }
}
