import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ChannelKind } from '../protocol/channel-kinds.js';
import { MAX_FRAME_BYTES } from '../protocol/framing.js';
import { serverLines } from '../protocol/texts.js';
import { peerOf, serveConnection } from './connection.js';
import { connectionContext } from './context.js';
import { loadServerHome, reloadUsers, type ServerHome, type UsersReloaded } from './home.js';
import {
  removePidFile,
  takeUnlockRequests,
  writePidFile,
  writeReloadReport,
  type ReloadReport,
} from './run-files.js';
import { lookalikePairs } from '../protocol/skeleton.js';
import { announce, type Logger } from './log.js';
import { WorkerPool } from './pool.js';
import { screenConnection } from './screen.js';
import { findSessionImage, type SessionImageKind, type SessionJit } from './session-image.js';
import type { MailStore } from './store/mail-store.js';
import {
  openMailStore,
  prepareMailStore,
  storeSpecForChildren,
  type StoreSpec,
} from './store/open-store.js';
import { PendingLogins } from './pending-logins.js';
import { WaitingRoom } from './waiting-room.js';
import { openThrottleStorage, type ThrottleStorage } from './throttle-storage.js';
import { defaultThrottleBounds } from './throttle.js';

export interface MailServerOptions {
  home: string;
  host: string;
  port: number;
  channel: ChannelKind;
  /**
   * `fork`: each client is served by a session process of the prefork pool (the
   * specification's model, and the only one the programs use). `inline`: in this process,
   * for tests of the session logic.
   */
  sessions: 'fork' | 'inline';
  store: StoreSpec;
  maxSessions: number;
  maxUse: number;
  /** Sessions one session process serves at once (1: every client in its own process). */
  clientsPerProcess: number;
  /** Free session slots kept started ahead. */
  spare: number;
  /** Idle session processes beyond this many are retired at once. */
  maxSpare: number;
  /** Idle session processes beyond the spares are retired after this long. */
  maxIdleMs: number;
  /** Session processes started at once, at most, while spares are short. */
  maxStarting: number;
  /** How session processes are started (session-image.ts). */
  sessionImage: SessionImageKind;
  /** Whether session processes run V8's compilers (session-image.ts); off: `--jitless`. */
  sessionJit: SessionJit;
  maxQueue: number;
  idleTimeoutMs: number;
  /** How long a new connection may take to complete its login before it is closed. */
  loginTimeoutMs: number;
  /**
   * Connections that may wait in the parent for their first frame at once (the waiting room).
   * Each costs a socket and nothing more; the limit keeps a flood from exhausting file
   * descriptors. When it is full a newcomer is let in and the oldest connection of the address
   * holding the most is closed (waiting-room.ts).
   */
  maxWaiting: number;
  /** Connections from one address that have not completed a login; beyond it new ones are closed. */
  maxPendingPerAddress: number;
  /** Session processes one address may hold with a login in progress; its other connections wait. */
  maxLoginsPerAddress: number;
  /** Bytes of stored mail each inbox may hold. */
  inboxQuotaBytes: number;
  /** Entries the login throttle keeps about unknown names, and about addresses (throttle.ts). */
  throttleMaxEntries: number;
  logLevel: string;
}

export const defaultServerOptions = {
  host: '0.0.0.0',
  port: 13000,
  channel: 'classic',
  sessions: 'fork',
  store: 'files',
  maxSessions: 250,
  maxUse: 100,
  clientsPerProcess: 1,
  spare: 4,
  maxSpare: 32,
  maxIdleMs: 60_000,
  maxStarting: 4,
  sessionImage: 'bundle',
  sessionJit: 'off',
  maxQueue: 1000,
  idleTimeoutMs: 300_000,
  loginTimeoutMs: 60_000,
  maxWaiting: 10_000,
  maxPendingPerAddress: 128,
  maxLoginsPerAddress: 8,
  inboxQuotaBytes: 256 * 1024 * 1024,
  throttleMaxEntries: defaultThrottleBounds.maxEntries,
  logLevel: 'info',
} as const satisfies Omit<MailServerOptions, 'home'>;

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
  readonly #pendingLogins: PendingLogins;
  readonly #waiting: WaitingRoom<Socket>;
  #store: MailStore | undefined;
  #pool: WorkerPool | undefined;
  #run: SessionRunner | undefined;
  #reloads = 0;

  /** Throws a HOME_FILE ServerError when a file of the home is missing or malformed. */
  constructor(options: MailServerOptions, log: Logger) {
    this.#options = options;
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
    this.#pendingLogins = new PendingLogins({
      maxPerAddress: options.maxPendingPerAddress,
      maxInProcessPerAddress: options.maxLoginsPerAddress,
    });
    this.#waiting = new WaitingRoom(options.maxWaiting);
    this.#server = createServer((socket) => {
      void this.#screen(socket);
    });
  }

  /** The server's public key, whose fingerprint clients of the enhanced protocol verify. */
  get identity(): KeyObject {
    return createPublicKey(this.#home.serverPrivateKey);
  }

  async start(): Promise<AddressInfo> {
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

  #inlineRunner(store: MailStore): SessionRunner {
    const context = connectionContext({
      channel: this.#options.channel,
      home: this.#home,
      store,
      throttle: this.#throttle.throttle,
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
    const pool = new WorkerPool(
      {
        image,
        config: {
          home: options.home,
          channel: options.channel,
          store: storeSpecForChildren(options.store),
          idleTimeoutMs: options.idleTimeoutMs,
          maxFrameBytes: MAX_FRAME_BYTES,
          maxInboxBytes: options.inboxQuotaBytes,
          logLevel: options.logLevel,
        },
        maxSessions: options.maxSessions,
        maxUse: options.maxUse,
        clientsPerProcess: options.clientsPerProcess,
        spare: Math.min(options.spare, options.maxSessions),
        maxSpare: options.maxSpare,
        maxIdleMs: options.maxIdleMs,
        maxStarting: options.maxStarting,
        maxQueue: options.maxQueue,
        throttle: this.#throttle.throttle,
        pendingLogins: this.#pendingLogins,
      },
      this.#log,
    );
    this.#pool = pool;
    pool.on('died', (pid: number) => {
      store.recover(pid).then(
        (removed) => {
          if (removed.length > 0)
            this.#log.warn({ pid, removed }, 'removed what a dead session left unfinished');
        },
        (error: unknown) => {
          this.#log.error(
            { pid, err: (error as Error).message },
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
      this.#log.warn(
        { address },
        'too many connections from one address without a login; closing a new one',
      );
      socket.destroy();
      return;
    }
    const shed = this.#waiting.enter(address, socket);
    if (shed) {
      this.#log.warn(
        { address: shed.remoteAddress, waiting: this.#waiting.size },
        'waiting room full; closing the oldest connection of the address holding the most',
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
          this.#log.error({ err: error.message }, 'could not accept a connection');
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
   * SIGHUP, or `npm run admin`: rereads user_pass.json and the users' public keys, then has every
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
    try {
      changes = reloadUsers(this.#home);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#log.error({ err: message }, 'user_pass.json not reloaded; the users before it stay');
      report({ ok: false, error: message });
      return;
    }
    this.#pool?.reloadHome();
    this.#log.info({ ...changes, users: this.#home.users.size }, 'users reloaded');
    for (const user of takeUnlockRequests(this.#options.home)) {
      const lifted = await this.#throttle.unlock(user);
      this.#log.info({ user, entries: lifted }, 'login locks lifted by the administrator');
    }
    report({ ok: true, users: this.#home.users.size });
  }

  async close(): Promise<void> {
    removePidFile(this.#options.home, this.#options.channel);
    // Stops listening at once. Its callback is not awaited: it waits for the sockets handed
    // to children to be reported closed, which a killed child never does.
    this.#server.close();
    await this.#pool?.close();
    await this.#throttle.close();
    await this.#store?.close();
  }
}
