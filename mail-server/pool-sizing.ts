/**
 * How many session processes the pool should start, and how fast (after Apache's prefork and
 * Dovecot's service settings). Pure arithmetic, so that it is tested without processes or time.
 *
 * Counts are in session slots: a process serves `clientsPerProcess` sessions at once (fewer
 * when its --max-use is nearly spent), so with one client per process a slot is a process.
 */

export interface PoolCounts {
  /** Sessions that ready processes could start now. */
  freeSlots: number;
  /** Processes started and not ready yet. */
  starting: number;
  /** Sessions being served. */
  active: number;
  /** Connections waiting for a session. */
  queued: number;
}

export interface SizingLimits {
  /** Free slots to keep ready ahead of demand (--spare). */
  spare: number;
  /** Sessions at once, in all (--max-sessions). */
  maxSessions: number;
  /** Sessions a new process can start with: min(--clients-per-process, --max-use). */
  slotsPerProcess: number;
}

/**
 * Processes to start now: enough for the spares and every waiting connection, never more
 * sessions than allowed in all, at most `startLimit` starting at once.
 */
export function processesToStart(
  counts: PoolCounts,
  limits: SizingLimits,
  startLimit: number,
): number {
  const wanted = Math.min(
    limits.spare + counts.queued,
    Math.max(0, limits.maxSessions - counts.active),
  );
  const short = wanted - counts.freeSlots - counts.starting * limits.slotsPerProcess;
  if (short <= 0) return 0;
  const needed = Math.ceil(short / limits.slotsPerProcess);
  return Math.max(0, Math.min(needed, startLimit - counts.starting));
}

/**
 * The number of processes allowed to start at once: 1 at first, doubled each time a start
 * ends while spares are still short, up to `max`; back to 1 once demand is met. Processes
 * started together share the CPU and are all ready late, so a burst is served sooner by a
 * few at a time, growing while the shortage lasts, than by all at once.
 */
export class StartRamp {
  readonly #max: number;
  #limit = 1;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  get limit(): number {
    return this.#limit;
  }

  /** A process became ready (or failed to); `stillShort` when more are wanted. */
  started(stillShort: boolean): void {
    this.#limit = stillShort ? Math.min(this.#limit * 2, this.#max) : 1;
  }
}

/**
 * Session processes that end before they are ready (a home made unreadable, a broken build):
 * the first few in a row are replaced at once; after that starting waits, 1 s and doubling up
 * to 30 s, until one is ready again. Without it a server whose processes cannot start would
 * spend both cores starting them, as Dovecot throttles a service that fails at startup.
 */
export class StartBackoff {
  static readonly FREE_FAILURES = 3;
  static readonly FIRST_WAIT_MS = 1000;
  static readonly MAX_WAIT_MS = 30_000;
  #failures = 0;
  #until = 0;

  /** A process ended before it was ready; returns how long starting now waits (0: not at all). */
  failed(now: number): number {
    this.#failures++;
    if (this.#failures <= StartBackoff.FREE_FAILURES) return 0;
    const over = this.#failures - StartBackoff.FREE_FAILURES - 1;
    const wait = Math.min(StartBackoff.MAX_WAIT_MS, StartBackoff.FIRST_WAIT_MS * 2 ** over);
    this.#until = now + wait;
    return wait;
  }

  /** A process became ready: starting goes back to normal. */
  succeeded(): void {
    this.#failures = 0;
    this.#until = 0;
  }

  /** How long starting must still wait. */
  waitMs(now: number): number {
    return Math.max(0, this.#until - now);
  }
}

/**
 * Which idle processes to retire: beyond `maxSpare` at once, and any idle for `maxIdleMs` while
 * the others still hold `spare` free slots. Returns indexes into `idleSince` (oldest idle first
 * is retired first), given the free slots of the other ready processes.
 */
export function idleToRetire(
  idleSince: readonly number[],
  now: number,
  limits: { spare: number; maxSpare: number; maxIdleMs: number; slotsPerProcess: number },
  otherFreeSlots: number,
): number[] {
  const order = idleSince.map((since, at) => ({ since, at })).sort((a, b) => a.since - b.since);
  const retired: number[] = [];
  let kept = order.length;
  for (const { since, at } of order) {
    const keptSlots = otherFreeSlots + (kept - 1) * limits.slotsPerProcess;
    const tooMany = kept > limits.maxSpare;
    const stale = now - since >= limits.maxIdleMs && keptSlots >= limits.spare;
    if (!tooMany && !stale) continue;
    retired.push(at);
    kept--;
  }
  return retired;
}
