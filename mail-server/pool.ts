import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { DropReport } from './drop-report.js';
import type { Logger } from './log.js';
import type { PendingLogins } from './pending-logins.js';
import { PoolProcess } from './pool-process.js';
import { WaitingQueue, type Waiting } from './pool-queue.js';
import {
  idleToRetire,
  processesToStart,
  StartBackoff,
  StartRamp,
  type SizingLimits,
} from './pool-sizing.js';
import type { SessionImage } from './session-image.js';
import type { LoginThrottle } from './throttle/rules.js';
import type { WorkerConfig } from './worker-protocol.js';

export interface PoolOptions {
  /** How a session process is started (session-image.ts). */
  image: SessionImage;
  config: WorkerConfig;
  /** Added to each session process's environment: the store's password, not on its command line. */
  childEnv?: Readonly<Record<string, string>>;
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
  /** Where connections closed for want of room are counted (and logged once a second). */
  drops: DropReport;
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
  /** Sessions that ready children could start now. */
  freeSlots: number;
}

/**
 * A prefork pool of session children, in the manner of Apache's prefork, Postfix's master and
 * Dovecot's services: spare children wait ready, more are started (a few at a time, then more)
 * while spares are short, idle extras are retired, each child serves `clientsPerProcess`
 * clients at a time and `maxUse` in all, a child that dies is replaced. This is the scheduler
 * (Dovecot's service-monitor); one child's handle is pool-process.ts, the waiting connections
 * pool-queue.ts, the per-address count of logins pending-logins.ts, the arithmetic
 * pool-sizing.ts.
 *
 * Events, for whoever watches (tests wait on them):
 * - 'ready' (pid): a child started, or failed to start, so that one fewer is starting;
 * - 'handed' (pid, connection): a waiting connection went to a child;
 * - 'refused' (address): a connection was closed because the queue was full or the pool closing;
 * - 'expired' (address): a waiting connection was closed at its login deadline;
 * - 'retiring' (pid): a child was asked to exit;
 * - 'exited' (pid, expected): a child ended; `expected` when retired or the pool closing;
 * - 'died' (pid, wasBusy): a child ended without being asked to;
 * - 'store-report' (report): a child's report for the metrics (observe/store-report.ts).
 */
export class WorkerPool extends EventEmitter {
  readonly #options: PoolOptions;
  readonly #log: Logger;
  /** Bumped at each reload of the home's users. */
  #generation = 0;
  readonly #workers = new Map<number, PoolProcess>();
  readonly #queue: WaitingQueue;
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
    this.#queue = new WaitingQueue(options.pendingLogins, ({ address }) => {
      this.#log.info(
        { address },
        'connection closed: no session process before its login deadline',
      );
      this.emit('expired', address);
    });
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

  /** Every count of the pool, in one pass over its children. */
  get stats(): PoolStats {
    const stats: PoolStats = {
      workers: this.#workers.size,
      busy: 0,
      idle: 0,
      starting: 0,
      sessions: 0,
      queued: this.#queue.length,
      freeSlots: 0,
    };
    for (const worker of this.#workers.values()) {
      stats.sessions += worker.sessions.size;
      stats.freeSlots += this.#freeSlots(worker);
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
      this.#queue.drop({ socket, preread, loginDeadline, address });
      this.emit('refused', address);
      return;
    }
    this.#queue.add({ socket, preread, loginDeadline, address });
    this.#log.debug({ ...this.stats, preread: preread.length }, 'connection waits for a session');
    this.#dispatch();
    // Only a connection that must wait counts against the queue's limit.
    if (this.#queue.length > this.#options.maxQueue) {
      const refused = this.#queue.refuseNewest();
      if (refused) {
        this.#options.drops.dropped(
          'too many waiting connections for the sessions allowed (--max-queue); a new one closed',
          refused.address,
        );
        this.emit('refused', refused.address);
      }
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#idleCheck);
    clearTimeout(this.#backoffTimer);
    this.#queue.dropAll();
    await Promise.all([...this.#workers.values()].map((worker) => worker.stop()));
  }

  #freeSlots(worker: PoolProcess): number {
    return worker.freeSlots(this.#options.clientsPerProcess, this.#options.maxUse);
  }

  /**
   * Hands waiting connections to processes with a free slot, oldest connection first, skipping
   * those whose address already holds as many processes in login as it may.
   */
  #dispatch(): void {
    const { pendingLogins, maxSessions } = this.#options;
    let active = this.stats.sessions;
    this.#queue.handOut(
      (address) => pendingLogins.mayEnterProcess(address),
      (waiting) => {
        if (active >= maxSessions) return false;
        const worker = this.#workerWithRoom();
        if (!worker) return false;
        this.#assign(worker, waiting);
        active++;
        return true;
      },
    );
    this.#topUp();
  }

  /**
   * A ready process with a free slot; with several clients per process, the fullest one, so
   * that the others drain and can be retired.
   */
  #workerWithRoom(): PoolProcess | undefined {
    let best: PoolProcess | undefined;
    for (const worker of this.#workers.values()) {
      if (this.#freeSlots(worker) === 0) continue;
      if (!best || worker.sessions.size > best.sessions.size) best = worker;
    }
    return best;
  }

  /** Processes wanted now for the spares and the waiting connections, at most `startLimit`. */
  #toStart(startLimit: number): number {
    const { freeSlots, starting, sessions, queued } = this.stats;
    return processesToStart(
      { freeSlots, starting, active: sessions, queued },
      this.#sizing,
      startLimit,
    );
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
    const toStart = this.#toStart(this.#ramp.limit);
    for (let i = 0; i < toStart; i++) this.#spawn();
  }

  /** Retires idle processes beyond --max-spare, and those idle too long beyond the spares. */
  #retireIdle(): void {
    if (this.#closing) return;
    const idle: PoolProcess[] = [];
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
    const { image, config, childEnv, throttle } = this.#options;
    const worker: PoolProcess | undefined = PoolProcess.start(
      { image, config, ...(childEnv ? { env: childEnv } : {}) },
      throttle,
      this.#generation,
      this.#log,
      {
        ready: () => {
          this.#ready(worker);
        },
        loggedIn: (connection) => {
          this.#loginSettled(worker, connection);
        },
        done: (connection) => {
          this.#sessionEnded(worker, connection);
        },
        storeReport: (report) => {
          this.emit('store-report', report);
        },
        heard: () => {
          this.#dispatch();
        },
        exit: (code, signal) => {
          this.#exited(worker, code, signal);
        },
      },
    );
    if (worker) this.#workers.set(worker.pid, worker);
  }

  #ready(worker: PoolProcess | undefined): void {
    if (!worker) return;
    // It read the home before a reload it could not hear of yet: it rereads it before any
    // session (the reload is ahead of them on the same channel).
    if (worker.generation < this.#generation) worker.tellReload(this.#generation);
    worker.state = 'ready';
    worker.idleSince = Date.now();
    this.#backoff.succeeded();
    this.#ramp.started(this.#toStart(Infinity) > 0);
    // After #dispatch has started the next ones, so that start() sees them.
    setImmediate(() => this.emit('ready', worker.pid));
  }

  #exited(
    worker: PoolProcess | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (!worker) return;
    const { pid } = worker;
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
    this.emit('exited', pid, expected);
    if (!expected) {
      this.#log.warn(
        { pid, code, signal, wasBusy, state: worker.state, uses: worker.uses },
        'session process died; replacing it',
      );
      this.emit('died', pid, wasBusy);
    }
    this.#dispatch();
  }

  /** The client of a connection logged in, or its session ended before it did. */
  #loginSettled(worker: PoolProcess | undefined, connection: number): void {
    const served = worker?.sessions.get(connection);
    if (!served?.loggingIn) return;
    served.loggingIn = false;
    this.#options.pendingLogins.settled(served.address, true);
  }

  #sessionEnded(worker: PoolProcess | undefined, connection: number): void {
    if (!worker) return;
    this.#loginSettled(worker, connection);
    if (!worker.sessions.delete(connection)) return;
    this.#log.debug({ pid: worker.pid }, 'a session of a session process ended');
    if (worker.sessions.size > 0) return;
    worker.idleSince = Date.now();
    if (worker.uses >= this.#options.maxUse) this.#retire(worker);
    else if (this.stats.idle > this.#maxSpare) this.#retire(worker);
  }

  #assign(worker: PoolProcess, waiting: Waiting): void {
    const connection = this.#nextConnection++;
    this.#options.pendingLogins.enteredProcess(waiting.address);
    worker.handOver(connection, waiting, () => {
      this.#sessionEnded(worker, connection);
    });
    this.emit('handed', worker.pid, connection);
  }

  /**
   * The home's users changed (a reload): every session process rereads them before its next
   * login, so that none serves a password older than the last reload. Sessions already logged
   * in go on.
   */
  /** Every session process that can hear it reopens its log file (logrotate moved it). */
  reopenLogs(): void {
    for (const worker of this.#workers.values()) worker.tellReopenLog();
  }

  reloadHome(): void {
    this.#generation++;
    for (const worker of this.#workers.values())
      if (worker.state !== 'starting') worker.tellReload(this.#generation);
  }

  #retire(worker: PoolProcess): void {
    worker.retire();
    this.emit('retiring', worker.pid);
  }
}
