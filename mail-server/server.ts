import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { screenConnection } from './screen.js';
import { fileURLToPath } from 'node:url';
import { loadServerHome } from './home.js';
import { announce, type Logger } from './log.js';
import { removeTempFiles } from './mailstore.js';
import { WorkerPool } from './pool.js';
import type { ChannelKind } from './worker-protocol.js';
import { MAX_FRAME_BYTES } from '../protocol/framing.js';
import { serverLines } from '../protocol/texts.js';

/**
 * Connections that may wait in the parent for their login at once. Each costs a socket and
 * nothing more; the limit only keeps a flood from exhausting file descriptors.
 */
const MAX_SCREENING = 10_000;

export interface MailServerOptions {
  home: string;
  host: string;
  port: number;
  channel: ChannelKind;
  maxSessions: number;
  maxUse: number;
  spare: number;
  maxQueue: number;
  idleTimeoutMs: number;
  /** How long a new connection may take to send its login before it is closed. */
  loginTimeoutMs: number;
  logLevel: string;
}

export const defaultServerOptions = {
  host: '0.0.0.0',
  port: 13000,
  channel: 'classic',
  maxSessions: 100,
  maxUse: 100,
  spare: 4,
  maxQueue: 1000,
  idleTimeoutMs: 300_000,
  loginTimeoutMs: 60_000,
  logLevel: 'info',
} as const satisfies Omit<MailServerOptions, 'home'>;

/**
 * The parent process: checks the home, accepts connections and hands each one to a
 * session child of the pool. It never decrypts anything itself.
 */
export class MailServer {
  readonly #options: MailServerOptions;
  readonly #log: Logger;
  readonly #pool: WorkerPool;
  readonly #server: Server;
  readonly #inboxes: string[];
  #screening = 0;

  /** Throws HomeError when a file of the home is missing or malformed. */
  constructor(options: MailServerOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
    const home = loadServerHome(options.home);
    this.#inboxes = [...home.users.values()].map((user) => user.inbox);
    // Temporary files can only be left by a process that died while storing.
    for (const inbox of this.#inboxes) removeTempFiles(inbox);
    this.#pool = new WorkerPool(
      {
        workerScript: fileURLToPath(new URL('./worker.js', import.meta.url)),
        config: {
          home: options.home,
          channel: options.channel,
          idleTimeoutMs: options.idleTimeoutMs,
          maxFrameBytes: MAX_FRAME_BYTES,
          logLevel: options.logLevel,
        },
        maxSessions: options.maxSessions,
        maxUse: options.maxUse,
        spare: Math.min(options.spare, options.maxSessions),
        maxQueue: options.maxQueue,
      },
      log,
    );
    this.#pool.on('died', (pid: number) => {
      for (const inbox of this.#inboxes) {
        const removed = removeTempFiles(inbox, pid);
        if (removed.length > 0)
          this.#log.warn({ pid, inbox, removed }, 'removed what a dead session left unfinished');
      }
    });
    this.#server = createServer((socket) => {
      void this.#screen(socket);
    });
  }

  async #screen(socket: Socket): Promise<void> {
    if (this.#screening >= MAX_SCREENING) {
      this.#log.warn(
        { screening: this.#screening },
        'too many connections waiting to log in; closing a new one',
      );
      socket.destroy();
      return;
    }
    this.#screening++;
    socket.on('error', () => undefined);
    const outcome = await screenConnection(socket, this.#options.loginTimeoutMs);
    this.#screening--;
    if (outcome.kind === 'spoke') {
      this.#pool.submit(socket, outcome.preread);
    } else if (outcome.reason !== 'closed') {
      this.#log.info(
        {
          peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
          reason: outcome.reason,
        },
        'connection closed before login',
      );
    }
  }

  get pool(): WorkerPool {
    return this.#pool;
  }

  async listen(): Promise<AddressInfo> {
    await this.#pool.start();
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
    announce(serverLines.ready);
    return address;
  }

  async close(): Promise<void> {
    // Stops listening at once. Its callback is not awaited: it waits for the sockets handed
    // to children to be reported closed, which a killed child never does.
    this.#server.close();
    await this.#pool.close();
  }
}
