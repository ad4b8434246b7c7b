/**
 * What the admin port (admin-http.ts) shows of one mail server: metrics (metrics.ts) and
 * readiness, a store that answers within PROBE_TIMEOUT_MS and a session slot ready for a client.
 */
import type { AddressInfo } from 'node:net';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import type { Logger } from '../log.js';
import type { MailServerOptions } from '../server-options.js';
import type { StoreSpec } from '../store/open-store.js';
import type { LoginThrottle } from '../throttle/rules.js';
import { AdminHttp, type AdminAddress, type Readiness } from './admin-http.js';
import { countedThrottle } from './counted-throttle.js';
import { ServerMetrics, type ServerGauges } from './metrics.js';
import { probeStore } from './store-probe.js';
import type { StoreReport } from './store-report.js';

/** How long /readyz waits for the store: a monitor's own timeout is usually a few seconds more. */
export const PROBE_TIMEOUT_MS = 2000;

export interface ObserverParts {
  channel: ChannelKind;
  store: StoreSpec;
  home: string;
  log: Logger;
  gauges: ServerGauges;
  /** Whether a session can start now, and why not. */
  sessionsReady(): Readiness;
}

export class ServerObserver {
  readonly #parts: ObserverParts;
  readonly #metrics: ServerMetrics;
  readonly #http: AdminHttp;

  constructor(parts: ObserverParts) {
    this.#parts = parts;
    this.#metrics = new ServerMetrics(parts.channel, parts.gauges);
    this.#http = new AdminHttp(
      {
        readiness: () => this.#readiness(),
        metrics: async () => ({
          contentType: this.#metrics.contentType,
          text: await this.#metrics.text(),
        }),
      },
      (error) => {
        parts.log.error({ err: error.message }, 'the admin port could not answer a request');
      },
    );
  }

  /** The throttle, with every login's outcome counted. */
  counting(throttle: LoginThrottle): LoginThrottle {
    return countedThrottle(throttle, (outcome) => {
      this.#metrics.login(outcome);
    });
  }

  storeReport(report: StoreReport): void {
    this.#metrics.storeReport(report);
  }

  async listen(address: AdminAddress): Promise<AddressInfo> {
    let bound: AddressInfo;
    try {
      bound = await this.#http.listen(address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE'
          ? 'is in use by another program (another server on this host? give each its own port)'
          : code === 'EADDRNOTAVAIL'
            ? 'is not an address of this host'
            : (error as Error).message;
      throw new Error(`the admin port ${address.host}:${address.port} (--admin-listen) ${why}`, {
        cause: error,
      });
    }
    this.#parts.log.info(
      { host: bound.address, port: bound.port, paths: ['/healthz', '/readyz', '/metrics'] },
      'admin port listening',
    );
    return bound;
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  async #readiness(): Promise<Readiness> {
    const sessions = this.#parts.sessionsReady();
    if (!sessions.ready) return sessions;
    const { store, home } = this.#parts;
    const probe = await probeStore(store, home, PROBE_TIMEOUT_MS);
    return probe.ok ? { ready: true } : { ready: false, reason: probe.reason };
  }
}

/**
 * Whether the pool can give a client a session now: a ready process with a free slot, or, with
 * no spares wanted (--spare 0), room to start one.
 */
export function poolReadiness(
  stats: { idle: number; busy: number; starting: number; sessions: number },
  limits: { spare: number; maxSessions: number; clientsPerProcess: number },
): Readiness {
  if (stats.sessions >= limits.maxSessions)
    return {
      ready: false,
      reason: `all ${limits.maxSessions} sessions are in use (--max-sessions)`,
    };
  // Near enough: a process near its --max-use has fewer slots than this counts.
  const freeSlots = (stats.idle + stats.busy) * limits.clientsPerProcess - stats.sessions;
  if (freeSlots > 0 || limits.spare === 0) return { ready: true };
  return {
    ready: false,
    reason:
      stats.starting > 0
        ? `no session process is ready yet (${stats.starting} starting)`
        : 'no session process is ready (they end before they are ready: see the log)',
  };
}

/** What observeServer reads of a running server, each time it is asked. */
export interface ServerParts {
  pool(): { stats: PoolView } | undefined;
  waiting: () => number;
  throttleEntries: () => Record<string, number> | undefined;
  /** Whether the server serves sessions yet (its store is open, its pool started). */
  running(): boolean;
}

type PoolView = { sessions: number; queued: number; idle: number; busy: number; starting: number };

/** The observer of a mail server with these options (adminListen given). */
export function observeServer(
  options: Pick<
    MailServerOptions,
    | 'channel'
    | 'store'
    | 'home'
    | 'spare'
    | 'maxSessions'
    | 'clientsPerProcess'
    | 'maxUse'
    | 'sessions'
  >,
  log: Logger,
  parts: ServerParts,
): ServerObserver {
  const idlePool: PoolView = { sessions: 0, queued: 0, idle: 0, busy: 0, starting: 0 };
  return new ServerObserver({
    channel: options.channel,
    store: options.store,
    home: options.home,
    log,
    gauges: {
      pool: () => parts.pool()?.stats ?? idlePool,
      waiting: parts.waiting,
      throttleEntries: parts.throttleEntries,
    },
    sessionsReady: () => {
      if (!parts.running()) return { ready: false, reason: 'the server is starting' };
      const pool = parts.pool();
      if (options.sessions === 'inline' || !pool) return { ready: true };
      return poolReadiness(pool.stats, {
        spare: Math.min(options.spare, options.maxSessions),
        maxSessions: options.maxSessions,
        clientsPerProcess: Math.max(1, Math.min(options.clientsPerProcess, options.maxUse)),
      });
    },
  });
}
