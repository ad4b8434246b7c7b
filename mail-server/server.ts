import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { MAX_FRAME_BYTES } from '../protocol/framing.js';
import { serverLines } from '../protocol/texts.js';
import { peerOf, serveConnection } from './connection.js';
import { connectionContext } from './context.js';
import {
  loadServerHome,
  reloadHome,
  type KeysReloaded,
  type ServerHome,
  type UsersReloaded,
} from './home.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import {
  removePidFile,
  takeUnlockRequests,
  writePidFile,
  writeReloadReport,
  type ReloadReport,
} from './run-files.js';
import { lookalikePairs } from '../protocol/skeleton.js';
import { announce, type Logger } from './log.js';
import { DropReport } from './drop-report.js';
import { WorkerPool } from './pool.js';
import type { MailServerOptions } from './server-options.js';
import { screenConnection } from './screen.js';
import { findSessionImage } from './session-image.js';
import type { MailStore } from './store/mail-store.js';
import { openMailStore, prepareMailStore, storeSpecForChildren } from './store/open-store.js';
import { PendingLogins } from './pending-logins.js';
import { WaitingRoom } from './waiting-room.js';
import { openThrottleStorage, type ThrottleStorage } from './throttle/storage.js';
import { defaultThrottleBounds, type LoginThrottle } from './throttle/rules.js';
import type { ServerObserver } from './observe/server-observer.js';
import type { AdminAddress } from './observe/admin-http.js';
import { reportingStore, type StoreReport } from './observe/store-report.js';
import type { WorkerConfig } from './worker-protocol.js';
import type { LiveOptions } from './config/live-options.js';
import { AddressSet } from './address-exceptions.js';

export { defaultServerOptions, type MailServerOptions } from './server-options.js';

/** Hands a screened connection to whatever serves sessions. */
type SessionRunner = (
  socket: Socket,
  preread: Buffer,
  loginDeadline: number,
  address: string,
) => void;

/**
 * The parent process: checks the home, accepts connections, screens each until its first
 * frame, and hands it to a session process of the pool (or serves it in-process). Built by
 * the constructor without any I/O but reading the home; `start()` opens the store, starts the
 * session processes and listens.
 */
export class MailServer {
  readonly #options: MailServerOptions;
  readonly #log: Logger;
  readonly #home: ServerHome;
  readonly #server: Server;
  readonly #throttle: ThrottleStorage;
  /** The throttle the sessions ask: counted for the metrics when they are on. */
  #loginThrottle: LoginThrottle;
  #observer: ServerObserver | undefined;
  readonly #pendingLogins: PendingLogins;
  readonly #waiting: WaitingRoom<Socket>;
  /** Connections closed before a session, logged at most once a second. */
  readonly #drops: DropReport;
  #store: MailStore | undefined;
  #pool: WorkerPool | undefined;
  #run: SessionRunner | undefined;
  #reloads = 0;
  /** What session processes are started with; a reload changes it for those started after. */
  #workerConfig: WorkerConfig | undefined;

  /** Throws a HOME_FILE ServerError when a file of the home is missing or malformed. */
  constructor(options: MailServerOptions, log: Logger) {
    // A copy: a reload changes the live options (config/live-options.ts) here, nowhere else.
    this.#options = { ...options };
    this.#log = log;
    this.#home = loadServerHome(options.home);
    // Users a reader cannot tell apart: kept (they may be genuine), but the operator is told.
    for (const [first, second] of lookalikePairs([...this.#home.users.keys()]))
      log.warn(
        { users: [first, second] },
        `users "${first}" and "${second}" in user_pass.json look alike: readers cannot tell their mail apart`,
      );
    this.#throttle = openThrottleStorage(options.store, options.home, options.channel, log, {
      ...defaultThrottleBounds,
      maxEntries: options.throttleMaxEntries,
    });
    this.#loginThrottle = this.#throttle.throttle;
    const exceptions = new AddressSet(options.addressLimitExceptions);
    this.#pendingLogins = new PendingLogins({
      maxPerAddress: options.maxPendingPerAddress,
      maxInProcessPerAddress: options.maxLoginsPerAddress,
      exempt: (address) => exceptions.has(address),
    });
    this.#waiting = new WaitingRoom(options.maxWaiting);
    this.#drops = new DropReport(log);
    this.#server = createServer((socket) => {
      void this.#screen(socket);
    });
  }

  /** The server's public key, whose fingerprint clients of the enhanced protocol verify. */
  get identity(): KeyObject {
    return createPublicKey(this.#home.serverPrivateKey);
  }

  async start(): Promise<AddressInfo> {
    // First, so that a monitor sees the start: alive, and not ready until it is.
    if (this.#options.adminListen) await this.#observe(this.#options.adminListen);
    await prepareMailStore(this.#options.store, this.#log);
    const store = await openMailStore(this.#options.store, this.#home, this.#log);
    this.#store = store;
    // Unfinished deliveries can only be left by a process that died while storing.
    const removed = await store.recover();
    if (removed.length > 0) this.#log.warn({ removed }, 'removed unfinished deliveries');
    this.#run =
      this.#options.sessions === 'inline'
        ? this.#inlineRunner(store)
        : await this.#forkRunner(store);
    return this.#listen();
  }

  /**
   * The admin port and its metrics. Loaded only when asked for: prom-client is many modules,
   * and a server started with few file descriptors must not spend them loading what it
   * does not use.
   */
  async #observe(address: AdminAddress): Promise<void> {
    const { observeServer } = await import('./observe/server-observer.js');
    const observer = observeServer(this.#options, this.#log, {
      pool: () => this.#pool,
      waiting: () => this.#waiting.size,
      throttleEntries: () => this.#throttle.entries?.(),
      running: () => this.#run !== undefined,
    });
    this.#observer = observer;
    this.#loginThrottle = observer.counting(this.#throttle.throttle);
    await observer.listen(address);
  }

  #inlineRunner(store: MailStore): SessionRunner {
    const observer = this.#observer;
    const context = connectionContext({
      channel: this.#options.channel,
      home: this.#home,
      store: observer
        ? reportingStore(store, (report) => {
            observer.storeReport(report);
          })
        : store,
      throttle: this.#loginThrottle,
      log: this.#log,
      announce,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      maxFrameBytes: MAX_FRAME_BYTES,
      maxInboxBytes: this.#options.inboxQuotaBytes,
    });
    return (socket, preread, loginDeadline, address) => {
      let settled = false;
      const settle = (): void => {
        if (!settled) this.#pendingLogins.settled(address, false);
        settled = true;
      };
      void serveConnection(socket, preread, loginDeadline - Date.now(), context, settle).finally(
        settle,
      );
    };
  }

  async #forkRunner(store: MailStore): Promise<SessionRunner> {
    const options = this.#options;
    const image = findSessionImage(options.sessionImage, options.sessionJit);
    if (image.kind !== options.sessionImage)
      this.#log.warn(
        { wanted: options.sessionImage, found: image.kind, file: image.file },
        'session processes start from another image: the build did not make the one wanted',
      );
    const childStore = storeSpecForChildren(options.store);
    const config: WorkerConfig = {
      home: options.home,
      channel: options.channel,
      store: childStore.spec,
      idleTimeoutMs: options.idleTimeoutMs,
      maxFrameBytes: MAX_FRAME_BYTES,
      maxInboxBytes: options.inboxQuotaBytes,
      logLevel: options.logLevel,
      ...(this.#observer ? { reportStore: true } : {}),
      ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    };
    this.#workerConfig = config;
    const pool = new WorkerPool(
      {
        image,
        ...(childStore.password === undefined
          ? {}
          : { childEnv: { PGPASSWORD: childStore.password } }),
        config,
        maxSessions: options.maxSessions,
        maxUse: options.maxUse,
        clientsPerProcess: options.clientsPerProcess,
        spare: Math.min(options.spare, options.maxSessions),
        maxSpare: options.maxSpare,
        maxIdleMs: options.maxIdleMs,
        maxStarting: options.maxStarting,
        maxQueue: options.maxQueue,
        throttle: this.#loginThrottle,
        pendingLogins: this.#pendingLogins,
        drops: this.#drops,
      },
      this.#log,
    );
    this.#pool = pool;
    pool.on('store-report', (report: StoreReport) => {
      this.#observer?.storeReport(report);
    });
    pool.on('died', (pid: number) => {
      store.recover(pid).then(
        (removed) => {
          if (removed.length > 0)
            this.#log.warn({ pid, removed }, 'removed what a dead session left unfinished');
        },
        (error: unknown) => {
          this.#log.error(
            { pid, err: error },
            'could not clear what a dead session left unfinished',
          );
        },
      );
    });
    await pool.start();
    return (socket, preread, loginDeadline, address) => {
      pool.submit(socket, preread, loginDeadline, address);
    };
  }

  async #screen(socket: Socket): Promise<void> {
    const address = socket.remoteAddress ?? '?';
    if (!this.#pendingLogins.admit(address)) {
      this.#drops.dropped(
        'too many connections from one address without a login; a new one closed',
        address,
      );
      socket.destroy();
      return;
    }
    const shed = this.#waiting.enter(address, socket);
    if (shed) {
      this.#drops.dropped(
        'waiting room full; the oldest connection of the address holding the most closed',
        shed.remoteAddress ?? '?',
      );
      // Its screening ends as "closed", which settles its place among the pending logins.
      shed.destroy();
    }
    socket.on('error', () => undefined);
    const loginDeadline = Date.now() + this.#options.loginTimeoutMs;
    const outcome = await screenConnection(
      socket,
      this.#options.loginTimeoutMs,
      this.#options.sessions === 'fork',
    );
    this.#waiting.leave(address, socket);
    if (outcome.kind === 'spoke' && this.#run) {
      this.#run(socket, outcome.preread, loginDeadline, address);
      return;
    }
    socket.destroy();
    this.#pendingLogins.settled(address, false);
    if (outcome.kind === 'dropped' && outcome.reason !== 'closed') {
      this.#log.info(
        { peer: peerOf(socket), reason: outcome.reason },
        'connection closed before login',
      );
    }
  }

  async #listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        // After listening, errors are failed accepts (EMFILE when out of file descriptors):
        // that connection is lost, the server goes on.
        this.#server.on('error', (error) => {
          this.#log.error({ err: error }, 'could not accept a connection');
        });
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    this.#log.info(
      { host: address.address, port: address.port, channel: this.#options.channel },
      'listening',
    );
    writePidFile(this.#options.home, this.#options.channel);
    announce(serverLines.ready);
    return address;
  }

  /**
   * SIGHUP, or `npm run admin`: rereads user_pass.json, the users' public keys and the server's
   * keys (server-keys.ts), then has every
   * session process reread them before its next login, and lifts the locks the admin command
   * asked to lift. A broken file changes nothing: one log line says which and why.
   */
  async reload(): Promise<void> {
    const count = ++this.#reloads;
    const report = (outcome: Omit<ReloadReport, 'count'>): void => {
      try {
        writeReloadReport(this.#options.home, this.#options.channel, { count, ...outcome });
      } catch (error) {
        this.#log.warn({ err: error }, 'the reload report could not be written');
      }
    };
    let changes: UsersReloaded;
    let keys: KeysReloaded;
    try {
      ({ users: changes, keys } = reloadHome(this.#home));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#log.error(
        { err: error },
        "user_pass.json and the server's keys not reloaded; those before stay",
      );
      report({ ok: false, error: message });
      return;
    }
    this.#pool?.reloadHome();
    this.#log.info({ ...changes, users: this.#home.users.size }, 'users reloaded');
    this.#log.info(
      { fingerprint: keyFingerprint(this.identity), ...keys },
      "server's keys reloaded",
    );
    for (const user of takeUnlockRequests(this.#options.home)) {
      const lifted = await this.#throttle.unlock(user);
      this.#log.info({ user, entries: lifted }, 'login locks lifted by the administrator');
    }
    report({ ok: true, users: this.#home.users.size });
  }

  /** The options a SIGHUP may change, from the reread configuration. */
  applyLive(live: LiveOptions): void {
    this.#options.loginTimeoutMs = live.loginTimeoutMs;
    this.#options.logLevel = live.logLevel;
    if (this.#workerConfig) this.#workerConfig.logLevel = live.logLevel;
  }

  /** SIGUSR1: the session processes reopen the log file (the parent's is the caller's). */
  reopenLogs(): void {
    this.#pool?.reopenLogs();
  }

  async close(): Promise<void> {
    removePidFile(this.#options.home, this.#options.channel);
    // Stops listening at once. Its callback is not awaited: it waits for the sockets handed
    // to children to be reported closed, which a killed child never does.
    this.#server.close();
    await this.#pool?.close();
    this.#drops.close();
    await this.#throttle.close();
    await this.#store?.close();
    await this.#observer?.close();
  }
}
