/**
 * What a session process tells its parent about its mail store work, for the metrics
 * (metrics.ts): one message per operation, over the IPC channel it already has. The parent
 * checks each one: a session process is where hostile input is handled.
 */
import type {
  DeliveryOutcome,
  IncomingEmail,
  MailStore,
  OnceDelivery,
} from '../store/mail-store.js';

export const STORE_OPERATIONS = ['deliver', 'list', 'read', 'remove'] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

export interface StoreReport {
  type: 'store-report';
  operation: StoreOperation;
  seconds: number;
  /** For a delivery: copies stored, refused over quota, failed; bytes of content stored. */
  delivered?: number;
  overQuota?: number;
  failed?: number;
  bytes?: number;
}

/** Bounds a report must stay within to be counted: no negative, no absurd figure. */
const MAX_COUNT = 1_000_000;
const MAX_BYTES = 2 ** 40;
const MAX_SECONDS = 3600;

const within = (value: unknown, max: number): boolean =>
  value === undefined || (typeof value === 'number' && value >= 0 && value <= max);

export function isStoreReport(message: unknown): message is StoreReport {
  if (typeof message !== 'object' || message === null) return false;
  const report = message as Record<string, unknown>;
  return (
    report.type === 'store-report' &&
    (STORE_OPERATIONS as readonly unknown[]).includes(report.operation) &&
    typeof report.seconds === 'number' &&
    within(report.seconds, MAX_SECONDS) &&
    within(report.delivered, MAX_COUNT) &&
    within(report.overQuota, MAX_COUNT) &&
    within(report.failed, MAX_COUNT) &&
    within(report.bytes, MAX_BYTES)
  );
}

/** What a delivery came to, counted for the report. */
function deliveryCounts(
  incoming: IncomingEmail,
  outcomes: readonly DeliveryOutcome[],
): Pick<StoreReport, 'delivered' | 'overQuota' | 'failed' | 'bytes'> {
  let delivered = 0;
  let overQuota = 0;
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.status === 'delivered') delivered++;
    else if (outcome.status === 'overQuota') overQuota++;
    else failed++;
  }
  const bytes = delivered * Buffer.byteLength(incoming.email.content);
  return { delivered, overQuota, failed, bytes };
}

/**
 * The store, timed: each operation is reported to `report` when it ends (a failed one too,
 * since a slow failure is what an operator looks for). Watching and closing are not timed.
 */
export function reportingStore(store: MailStore, report: (report: StoreReport) => void): MailStore {
  const timed = async <T>(
    operation: StoreOperation,
    work: () => Promise<T>,
    counts: (result: T) => Partial<StoreReport> = () => ({}),
  ): Promise<T> => {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await work();
      report({ type: 'store-report', operation, seconds: seconds(), ...counts(result) });
      return result;
    } catch (error) {
      report({ type: 'store-report', operation, seconds: seconds() });
      throw error;
    }
  };
  return {
    deliver: (incoming, recipients, limits) =>
      timed(
        'deliver',
        () => store.deliver(incoming, recipients, limits),
        (outcomes) => deliveryCounts(incoming, outcomes),
      ),
    deliverOnce: (incoming, recipients, limits, key) =>
      timed(
        'deliver',
        () => store.deliverOnce(incoming, recipients, limits, key),
        // A replay stored nothing now.
        (once: OnceDelivery) => (once.replayed ? {} : deliveryCounts(incoming, once.outcomes)),
      ),
    list: (user) => timed('list', () => store.list(user)),
    read: (user, ref) => timed('read', () => store.read(user, ref)),
    remove: (user, id) => timed('remove', () => store.remove(user, id)),
    recover: (dead) => store.recover(dead),
    watch: (user, listener) => store.watch(user, listener),
    close: () => store.close(),
  };
}
