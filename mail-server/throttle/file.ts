/**
 * Keeps the login throttle's state in the server's home, so that a restart does not lift a
 * lock. Written at most once a second while it changes, and at close, replaced whole
 * (common/safe-files.ts).
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile, removeTempFiles, writeFileSafely } from '../../common/safe-files.js';
import type { Logger } from '../log.js';
import {
  defaultThrottleBounds,
  ThrottleBook,
  type ThrottleBounds,
  type ThrottleEntry,
  type ThrottleSnapshot,
} from './rules.js';

/** One file per channel kind: two servers sharing a home (npm start) never overwrite each other's. */
export const throttleFileName = (kind: string): string => `login-throttle.${kind}.json`;
const SAVE_EVERY_MS = 1000;
/** Far above any real book (10,000 entries of about 100 bytes); a larger file is not read. */
const MAX_STATE_BYTES = 16 * 1024 * 1024;

function isEntry(value: unknown): value is ThrottleEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { failures, lockedUntil, lastFailure } = value as Record<string, unknown>;
  return [failures, lockedUntil, lastFailure].every(
    (n) => typeof n === 'number' && Number.isFinite(n),
  );
}

/** Reads a saved state; anything missing or malformed gives a fresh book (and is logged). */
function readSnapshot(file: string, log: Logger): ThrottleSnapshot | undefined {
  let text: string;
  try {
    const data = readRegularFile(file, MAX_STATE_BYTES);
    if (data === undefined) {
      if (lstatSync(file, { throwIfNoEntry: false }))
        log.warn({ file }, 'login throttle state is not a regular file; starting afresh');
      return undefined;
    }
    text = data.toString('utf8');
  } catch (error) {
    log.warn({ file, err: error }, 'login throttle state not read; starting afresh');
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as {
      entries?: unknown;
      unknownUserEntries?: unknown;
      knownDevices?: unknown;
    };
    const entriesOf = (value: unknown): Record<string, ThrottleEntry> => {
      const entries: Record<string, ThrottleEntry> = {};
      for (const [key, entry] of Object.entries(value ?? {}))
        if (isEntry(entry)) entries[key] = entry;
      return entries;
    };
    const knownDevices: Record<string, number> = {};
    for (const [key, value] of Object.entries(parsed.knownDevices ?? {}))
      if (typeof value === 'number') knownDevices[key] = value;
    // A file written before unknown names were kept apart has them among `entries`: they are
    // then kept as users' entries until they no longer count (an hour at most).
    return {
      entries: entriesOf(parsed.entries),
      unknownUserEntries: entriesOf(parsed.unknownUserEntries),
      knownDevices,
    };
  } catch (error) {
    log.warn({ file, err: error }, 'login throttle state malformed; starting afresh');
    return undefined;
  }
}

/** The parent's throttle book, loaded from the home and saved back while the server runs. */
export class PersistentThrottle {
  readonly book: ThrottleBook;
  readonly #home: string;
  readonly #file: string;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;

  constructor(
    home: string,
    file: string,
    log: Logger,
    now: () => number = Date.now,
    bounds: ThrottleBounds = defaultThrottleBounds,
  ) {
    this.#home = home;
    this.#file = file;
    this.#log = log;
    // A temporary file is all a server that died while saving can have left.
    removeTempFiles(home);
    this.book = new ThrottleBook(now, readSnapshot(join(home, file), log), bounds);
    this.#timer = setInterval(() => {
      this.save();
    }, SAVE_EVERY_MS);
    this.#timer.unref();
  }

  /** Writes the state when it changed since the last write. */
  save(): void {
    if (!this.book.takeChanged()) return;
    try {
      writeFileSafely(this.#home, this.#file, `${JSON.stringify(this.book.snapshot())}\n`, {
        mode: 0o600,
        place: 'replace',
      });
    } catch (error) {
      this.#log.error({ err: error }, 'login throttle state could not be saved');
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.save();
  }
}
