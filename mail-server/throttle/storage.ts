/**
 * Where the parent keeps the login throttle: with the Maildir store, in a file of the server's
 * home (file.ts); with the PostgreSQL store, in the database every host shares
 * (postgres.ts).
 */
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import type { Logger } from '../log.js';
import { isPostgresUrl, type StoreSpec } from '../store/open-store.js';
import { localThrottle, type LoginThrottle, type ThrottleBounds } from './rules.js';
import { PersistentThrottle, throttleFileName } from './file.js';
import type { PostgresThrottle } from './postgres.js';

export interface ThrottleStorage {
  readonly throttle: LoginThrottle;
  /** Lifts every lock and count on a user (the administrator's unlock); how many entries went. */
  unlock(user: string): Promise<number>;
  /** Entries the book keeps per space, for the metrics; absent when they live in the database. */
  entries?(): Record<string, number>;
  close(): Promise<void>;
}

export function openThrottleStorage(
  store: StoreSpec,
  home: string,
  channel: ChannelKind,
  log: Logger,
  bounds: ThrottleBounds,
): ThrottleStorage {
  if (isPostgresUrl(store)) return sharedThrottle(store, log, bounds);
  const file = new PersistentThrottle(home, throttleFileName(channel), log, Date.now, bounds);
  return {
    throttle: localThrottle(file.book),
    entries: () => ({
      known: file.book.sizeOf('known'),
      unknown: file.book.sizeOf('unknown'),
      address: file.book.sizeOf('address'),
    }),
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

/**
 * The throttle kept in PostgreSQL, loaded when first needed: postgres.ts brings node-postgres,
 * which a server on the file store never loads. The module is read while the server starts,
 * before any login; should it fail to load, every login is refused (a throttle fails closed).
 */
function sharedThrottle(store: string, log: Logger, bounds: ThrottleBounds): ThrottleStorage {
  const shared: Promise<PostgresThrottle | undefined> = import('./postgres.js').then(
    ({ PostgresThrottle }) => new PostgresThrottle(store, log, { maxEntries: bounds.maxEntries }),
    (error: unknown) => {
      log.error({ err: error }, 'the login throttle could not be loaded; every login is refused');
      return undefined;
    },
  );
  return {
    throttle: {
      admit: async (user, address, knownUser) => {
        const throttle = await shared;
        return throttle
          ? throttle.admit(user, address, knownUser)
          : { allowed: false, settle: () => undefined };
      },
    },
    unlock: async (user) => (await shared)?.unlock(user) ?? 0,
    close: async () => {
      await (await shared)?.close();
    },
  };
}
