/** The mail server's options and their defaults (the command line's are config/option-table.ts). */
import type { ChannelKind } from '../protocol/channel-kinds.js';
import type { AdminAddress } from './observe/admin-http.js';
import type { SessionImageKind, SessionJit } from './session-image.js';
import type { StoreSpec } from './store/open-store.js';
import { defaultThrottleBounds } from './throttle/rules.js';
import { DEFAULT_ADDRESS_LIMIT_EXCEPTIONS } from './address-exceptions.js';

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
  /** Addresses and networks that `maxPendingPerAddress` does not limit (address-exceptions.ts). */
  addressLimitExceptions: readonly string[];
  /** Session processes one address may hold with a login in progress; its other connections wait. */
  maxLoginsPerAddress: number;
  /** Bytes of stored mail each inbox may hold. */
  inboxQuotaBytes: number;
  /** Entries the login throttle keeps about unknown names, and about addresses (throttle/rules.ts). */
  throttleMaxEntries: number;
  logLevel: string;
  /** Where /healthz, /readyz and /metrics answer (observe/admin-http.ts); none when absent. */
  adminListen?: AdminAddress;
  /** The file session processes append their log lines to; stderr when absent. */
  logFile?: string;
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
  addressLimitExceptions: DEFAULT_ADDRESS_LIMIT_EXCEPTIONS,
  maxLoginsPerAddress: 8,
  inboxQuotaBytes: 256 * 1024 * 1024,
  throttleMaxEntries: defaultThrottleBounds.maxEntries,
  logLevel: 'info',
} as const satisfies Omit<MailServerOptions, 'home'>;
