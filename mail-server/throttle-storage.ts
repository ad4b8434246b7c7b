/**
 * Where the parent keeps the login throttle: with the seed-files store, in a file of the server's
 * home (throttle-file.ts); with the PostgreSQL store, in the database every host shares
 * (throttle-postgres.ts).
 */
import type { ChannelKind } from '../protocol/channel-kinds.js';
import type { Logger } from './log.js';
import { isPostgresUrl, type StoreSpec } from './store/open-store.js';
import { localThrottle, type LoginThrottle, type ThrottleBounds } from './throttle.js';
import { PersistentThrottle, throttleFileName } from './throttle-file.js';
import { PostgresThrottle } from './throttle-postgres.js';

export interface ThrottleStorage {
  readonly throttle: LoginThrottle;
  /** Lifts every lock and count on a user (the administrator's unlock); how many entries went. */
  unlock(user: string): Promise<number>;
  close(): Promise<void>;
}

export function openThrottleStorage(
  store: StoreSpec,
  home: string,
  channel: ChannelKind,
  log: Logger,
  bounds: ThrottleBounds,
): ThrottleStorage {
  if (isPostgresUrl(store)) {
    const shared = new PostgresThrottle(store, log, { maxEntries: bounds.maxEntries });
    return { throttle: shared, unlock: (user) => shared.unlock(user), close: () => shared.close() };
  }
  const file = new PersistentThrottle(home, throttleFileName(channel), log, Date.now, bounds);
  return {
    throttle: localThrottle(file.book),
    unlock: (user) => {
      const lifted = file.book.unlock(user);
      file.save();
      return Promise.resolve(lifted);
    },
    close: () => {
      file.close();
      return Promise.resolve();
    },
  };
}
