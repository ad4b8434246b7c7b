/**
 * The parent's handle on one session process of the pool (Dovecot's service-process): its
 * state, the sessions it serves, its IPC (worker-protocol.ts) and its throttle desk. What to do
 * when it becomes ready, ends a session or exits is the pool's (pool.ts): it is told through
 * the `ProcessEvents` it gives.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from './log.js';
import type { Waiting } from './pool-queue.js';
import type { SessionImage } from './session-image.js';
import { isStoreReport, type StoreReport } from './observe/store-report.js';
import { ThrottleDesk } from './throttle/ipc.js';
import type { LoginThrottle } from './throttle/rules.js';
import {
  isFromWorker,
  isThrottleRequest,
  type ToWorker,
  type WorkerConfig,
} from './worker-protocol.js';

/** The least time a session process gives a login, however long it waited for the process. */
const MIN_LOGIN_MS = 5000;

/** A connection served by a process; `loggingIn` until its client has logged in. */
export interface Served {
  address: string;
  loggingIn: boolean;
}

/** How a session process is started: the image, its configuration, and its added environment. */
export interface ProcessStart {
  image: SessionImage;
  config: WorkerConfig;
  env?: Readonly<Record<string, string>>;
}

export interface ProcessEvents {
  /** It says it is ready for sessions. */
  ready: () => void;
  /** The client of `connection` logged in. */
  loggedIn: (connection: number) => void;
  /** The session of `connection` ended. */
  done: (connection: number) => void;
  /** It sent a report for the metrics. */
  storeReport: (report: StoreReport) => void;
  /** After each message from it has been acted on. */
  heard: () => void;
  /** It exited (its throttle places are freed already). */
  exit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export class PoolProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  state: 'starting' | 'ready' | 'retiring' = 'starting';
  /** Sessions handed to it so far. */
  uses = 0;
  readonly sessions = new Map<number, Served>();
  /** When its last session ended (or it became ready), while it serves none. */
  idleSince = Date.now();
  /** The home's generation it was started with, or last told to reread. */
  generation: number;
  readonly #log: Logger;

  /** Starts a session process; undefined when none could be started (logged). */
  static start(
    { image, config, env }: ProcessStart,
    throttle: LoginThrottle,
    generation: number,
    log: Logger,
    events: ProcessEvents,
  ): PoolProcess | undefined {
    const child = image.start(JSON.stringify(config), env);
    if (child.pid === undefined) {
      log.error('a session process could not be started');
      return undefined;
    }
    return new PoolProcess(child, child.pid, throttle, generation, log, events);
  }

  private constructor(
    child: ChildProcess,
    pid: number,
    throttle: LoginThrottle,
    generation: number,
    log: Logger,
    events: ProcessEvents,
  ) {
    this.child = child;
    this.pid = pid;
    this.generation = generation;
    this.#log = log;
    const desk = new ThrottleDesk(throttle, child);
    child.on('message', (message: unknown) => {
      if (isThrottleRequest(message)) {
        void desk.handle(message);
        return;
      }
      if (isStoreReport(message)) {
        events.storeReport(message);
        return;
      }
      if (!isFromWorker(message)) return;
      if (message.type === 'logged-in') events.loggedIn(message.connection);
      else if (message.type === 'ready' && this.state === 'starting') events.ready();
      else if (message.type === 'done') events.done(message.connection);
      events.heard();
    });
    child.on('error', (error) => {
      log.error({ pid, err: error }, 'session process error');
    });
    child.on('exit', (code, signal) => {
      desk.releaseAll();
      events.exit(code, signal);
    });
  }

  /** Sessions it can start now: none unless ready, bounded by its use count too. */
  freeSlots(clientsPerProcess: number, maxUse: number): number {
    if (this.state !== 'ready' || !this.child.connected) return 0;
    return Math.max(0, Math.min(clientsPerProcess - this.sessions.size, maxUse - this.uses));
  }

  /**
   * Hands a waiting connection to it as session `connection`; `failed` is called when the
   * socket could not be handed over (the socket is closed then).
   */
  handOver(connection: number, waiting: Waiting, failed: () => void): void {
    const { socket, preread, loginDeadline, address } = waiting;
    this.uses++;
    this.sessions.set(connection, { address, loggingIn: true });
    this.#log.debug({ pid: this.pid }, 'connection handed to a session process');
    const message: ToWorker = {
      type: 'session',
      connection,
      preread: preread.toString('base64'),
      // At least a moment: a client that waited in the queue for a free process is not its fault.
      loginDeadlineMs: Math.max(loginDeadline - Date.now(), MIN_LOGIN_MS),
    };
    this.child.send(message, socket, (error) => {
      if (!error) return;
      this.#log.error({ pid: this.pid, err: error }, 'could not hand a connection over');
      socket.destroy();
      failed();
    });
  }

  /** Tells it to reread the home's users before its next login. */
  tellReload(generation: number): void {
    this.generation = generation;
    this.#tell({ type: 'reload' });
  }

  /** Tells it to reopen its log file (logrotate moved it). */
  tellReopenLog(): void {
    this.#tell({ type: 'reopen-log' });
  }

  /** Asks it to exit once its sessions are over. */
  retire(): void {
    this.state = 'retiring';
    this.#tell({ type: 'exit' });
  }

  /** Ends it now (the pool is closing); resolves when it has exited. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  #tell(message: ToWorker): void {
    // A child already gone (the server stopping, a crash) has nothing left to be told.
    if (this.child.connected) this.child.send(message, () => undefined);
  }
}
