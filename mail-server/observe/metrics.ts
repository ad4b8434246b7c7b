/**
 * The mail server's Prometheus metrics (prom-client), kept by the parent process. What the
 * session processes see (store work, deliveries) reaches it as reports over their IPC channel
 * (store-report.ts); what the parent holds itself (the pool, the waiting room, the throttle,
 * its PostgreSQL pools) is read at each scrape. Every series carries `protocol` (classic or
 * enhanced): one server process serves one protocol, and a host runs both.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import type { AttemptOutcome } from '../throttle/rules.js';
import { postgresPools } from './postgres-pools.js';
import type { StoreReport } from './store-report.js';

/** What the parent can tell at any moment, read at each scrape. */
export interface ServerGauges {
  pool(): { sessions: number; queued: number; idle: number; busy: number; starting: number };
  waiting(): number;
  /** Entries the login throttle keeps, per space; undefined when they live in the database. */
  throttleEntries(): Record<string, number> | undefined;
}

export type LoginOutcome = 'accepted' | 'refused' | 'throttled' | 'abandoned';

const LOGIN_OUTCOMES: Record<AttemptOutcome, LoginOutcome> = {
  succeeded: 'accepted',
  failed: 'refused',
  abandoned: 'abandoned',
};

/** Store work takes milliseconds on Maildir, a round trip or a retry on PostgreSQL. */
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #logins: Counter<'outcome'>;
  readonly #copies: Counter<'outcome'>;
  readonly #bytes: Counter;
  readonly #store: Histogram<'operation'>;

  constructor(protocol: ChannelKind, gauges: ServerGauges) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ protocol });
    // process_start_time_seconds, CPU, memory, file descriptors, the event loop's lag.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'sealed_mail_sessions',
      help: 'Sessions being served by session processes',
      registers,
      collect() {
        this.set(gauges.pool().sessions);
      },
    });
    new Gauge({
      name: 'sealed_mail_sessions_queued',
      help: 'Connections that spoke and wait for a free session slot',
      registers,
      collect() {
        this.set(gauges.pool().queued);
      },
    });
    new Gauge({
      name: 'sealed_mail_connections_waiting',
      help: 'Connections in the waiting room, not yet sent their first message',
      registers,
      collect() {
        this.set(gauges.waiting());
      },
    });
    new Gauge({
      name: 'sealed_mail_session_processes',
      help: 'Session processes by state: ready (idle, waiting for a client), busy, starting',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = gauges.pool();
        this.set({ state: 'ready' }, pool.idle);
        this.set({ state: 'busy' }, pool.busy);
        this.set({ state: 'starting' }, pool.starting);
      },
    });
    new Gauge({
      name: 'sealed_mail_throttle_entries',
      help: "Entries the login throttle's book keeps, by space (known users, unknown names, addresses); Maildir store only",
      labelNames: ['space'],
      registers,
      collect() {
        for (const [space, count] of Object.entries(gauges.throttleEntries() ?? {}))
          this.set({ space }, count);
      },
    });
    new Gauge({
      name: 'sealed_mail_postgres_pool_connections',
      help: "The parent process's PostgreSQL pool connections, by pool and state (total, idle, waiting: work waiting for one)",
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const { name, pool } of postgresPools()) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
        }
      },
    });
    this.#logins = new Counter({
      name: 'sealed_mail_logins_total',
      help: 'Login attempts by outcome: accepted, refused (a wrong name or password), throttled (refused by the login throttle before checking), abandoned (the connection ended first)',
      labelNames: ['outcome'],
      registers,
    });
    this.#copies = new Counter({
      name: 'sealed_mail_deliveries_total',
      help: "Copies of emails stored into recipients' inboxes, by outcome (delivered, over_quota, failed)",
      labelNames: ['outcome'],
      registers,
    });
    this.#bytes = new Counter({
      name: 'sealed_mail_delivered_bytes_total',
      help: 'Bytes of email content stored, once per delivered copy',
      registers,
    });
    this.#store = new Histogram({
      name: 'sealed_mail_store_seconds',
      help: 'How long mail store work took in the session processes, by operation',
      labelNames: ['operation'],
      buckets: STORE_BUCKETS,
      registers,
    });
    for (const outcome of ['accepted', 'refused', 'throttled', 'abandoned'] as const)
      this.#logins.inc({ outcome }, 0);
    for (const outcome of ['delivered', 'over_quota', 'failed'] as const)
      this.#copies.inc({ outcome }, 0);
  }

  /** A login was refused by the throttle, or settled with `outcome`. */
  login(outcome: AttemptOutcome | 'throttled'): void {
    this.#logins.inc({ outcome: outcome === 'throttled' ? 'throttled' : LOGIN_OUTCOMES[outcome] });
  }

  /** A session process's report of one piece of store work. */
  storeReport(report: StoreReport): void {
    this.#store.observe({ operation: report.operation }, report.seconds);
    if (report.delivered) this.#copies.inc({ outcome: 'delivered' }, report.delivered);
    if (report.overQuota) this.#copies.inc({ outcome: 'over_quota' }, report.overQuota);
    if (report.failed) this.#copies.inc({ outcome: 'failed' }, report.failed);
    if (report.bytes) this.#bytes.inc(report.bytes);
  }

  /** The text format, for /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
