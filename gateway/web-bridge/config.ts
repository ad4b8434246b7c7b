import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { packageFolder } from '../../common/version.js';
import { CHANNEL_KINDS, defaultPortOf, type ChannelKind } from '../../protocol/channel-kinds.js';
import type { ServerAddress } from './server-address.js';

/** One or more hosts of one site, tried in turn; the first is the one a sign-in uses by default. */
export type ServerList = readonly [ServerAddress, ...ServerAddress[]];

export interface GatewayOptions {
  /** DIR with one user's key files, or one sub-folder per user. */
  keysDir: string;
  /**
   * The mail servers of each channel kind, used when a sign-in names none: the first, then the
   * others in turn when it does not answer. A kind not given gets the classic hosts on its own
   * default port; classic, 127.0.0.1:13000.
   */
  servers?: Partial<Record<ChannelKind, ServerList>>;
  /** The built UI (index.html and its assets). */
  webRoot?: string;
  /** The background inbox check, in seconds; 0 turns it off. */
  pollSeconds?: number;
  /** A signed-in session with no request from its browser for this long is ended. */
  idleTimeoutSeconds?: number;
  /**
   * A signed-in session whose browser has no page open (tab closed, page reloading) is kept
   * this long for a page that comes back, then ended; sign-out ends it at once.
   */
  detachedGraceSeconds?: number;
  /** The start-up token; a new random one when not given. */
  token?: string;
  /** Names besides localhost, 127.0.0.1 and [::1] that the Host header may carry. */
  allowedHosts?: readonly string[];
  /** Where the local Sent folders are kept: DATA/<user>/sent/. */
  dataDir?: string;
  /** Days an email stays in the Trash before it is removed for good (deleted on the server where it can be). */
  trashDays?: number;
  /** Wrong passwords per username before each further one makes that username wait. */
  signInBackoff?: SignInBackoffPolicy;
  maxSessions?: number;
  /** WebSockets open at a time from one client address. */
  maxSocketsPerAddress?: number;
  /** Requests of one socket relayed to its session child and not answered yet. */
  maxQueuedRequests?: number;
  /** A socket that has not presented its page secret by then is closed. */
  authTimeoutMs?: number;
  /**
   * Connections open at a time that have not shown the cookie; beyond it the oldest of them is
   * closed, so that nobody without the cookie can take every file descriptor.
   */
  maxAnonymousConnections?: number;
  /** A request's headers must have arrived within this time of its start (Node's headersTimeout). */
  headersTimeoutMs?: number;
  /** A whole request must have arrived within this time (Node's requestTimeout). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs?: number;
  /** How long a page secret from GET /session may wait for its socket. */
  pageSecretTtlMs?: number;
  /** Page secrets handed out and not used yet; beyond it the oldest is dropped. */
  maxPageSecrets?: number;
  /** Session children started ahead of sign-ins (0 forks at each sign-in). */
  spareChildren?: number;
  /** The cookie's name, before the port it is made for: `<cookieName>_<port>`. */
  cookieName?: string;
  /** The compiled session child entry (tests running TypeScript point it at dist/). */
  childScript?: string;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** How long a child gets to end its protocol session before it is killed. */
  childGraceMs?: number;
  logger?: FastifyBaseLogger;
  /** The clock of the sign-in limiter and of page secrets. */
  now?: () => number;
}

export interface SignInBackoffPolicy {
  /** Wrong passwords in a row before the first wait. */
  freeFailures: number;
  /** The first wait; each further wrong password doubles it... */
  baseLockMs: number;
  /** ...up to this. */
  maxLockMs: number;
  /** A username with no wrong password for this long starts afresh. */
  forgetAfterMs: number;
}

export type GatewayConfig = Required<Omit<GatewayOptions, 'logger' | 'servers'>> & {
  servers: Record<ChannelKind, ServerList>;
  logger: FastifyBaseLogger | undefined;
};

// From the package's folder, not from this module: the gateway runs bundled into one file.
export const DEFAULT_WEB_ROOT = join(packageFolder, 'web', 'dist');
/**
 * The session child, bundled into one file by the build (scripts/build-session.ts): a process
 * started for each sign-in starts quicker without module resolution; the compiled module when
 * the bundle is missing.
 */
const CHILD_FOLDER = join(packageFolder, 'dist', 'gateway', 'web-bridge');
const CHILD_BUNDLE = join(CHILD_FOLDER, 'session-child.cjs');
const DEFAULT_CHILD_SCRIPT = existsSync(CHILD_BUNDLE)
  ? CHILD_BUNDLE
  : join(CHILD_FOLDER, 'session-child.js');

export const defaultGatewayOptions = {
  classicServers: [{ host: '127.0.0.1', port: defaultPortOf('classic') }] as ServerList,
  pollSeconds: 10,
  trashDays: 30,
  idleTimeoutSeconds: 15 * 60,
  detachedGraceSeconds: 5 * 60,
  signInBackoff: {
    freeFailures: 3,
    baseLockMs: 1000,
    maxLockMs: 5 * 60_000,
    forgetAfterMs: 30 * 60_000,
  },
  maxSessions: 32,
  maxSocketsPerAddress: 16,
  maxQueuedRequests: 32,
  authTimeoutMs: 5000,
  maxAnonymousConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
  pageSecretTtlMs: 60_000,
  maxPageSecrets: 256,
  spareChildren: 1,
  cookieName: 'sealed_mail_gateway',
  connectTimeoutMs: 10_000,
  replyTimeoutMs: 60_000,
  childGraceMs: 3000,
} as const;

/** Next to the keys it serves: each key setup keeps its own Sent folders. */
export const defaultDataDir = (keysDir: string): string => join(keysDir, '.gateway-data');

/** Every kind's servers: as given, or the classic hosts on the kind's default port. */
export function resolveServers(
  given: Partial<Record<ChannelKind, ServerList>>,
): Record<ChannelKind, ServerList> {
  const classic = given.classic ?? defaultGatewayOptions.classicServers;
  const servers = {} as Record<ChannelKind, ServerList>;
  for (const kind of CHANNEL_KINDS) {
    const [first, ...others] = classic;
    servers[kind] = given[kind] ?? [
      { host: first.host, port: defaultPortOf(kind) },
      ...others.map(({ host }) => ({ host, port: defaultPortOf(kind) })),
    ];
  }
  return servers;
}

export function resolveConfig(options: GatewayOptions, token: string): GatewayConfig {
  return {
    keysDir: options.keysDir,
    servers: resolveServers(options.servers ?? {}),
    webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
    pollSeconds: options.pollSeconds ?? defaultGatewayOptions.pollSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? defaultGatewayOptions.idleTimeoutSeconds,
    detachedGraceSeconds:
      options.detachedGraceSeconds ?? defaultGatewayOptions.detachedGraceSeconds,
    token,
    allowedHosts: options.allowedHosts ?? [],
    dataDir: options.dataDir ?? defaultDataDir(options.keysDir),
    trashDays: options.trashDays ?? defaultGatewayOptions.trashDays,
    signInBackoff: options.signInBackoff ?? defaultGatewayOptions.signInBackoff,
    maxSessions: options.maxSessions ?? defaultGatewayOptions.maxSessions,
    maxSocketsPerAddress:
      options.maxSocketsPerAddress ?? defaultGatewayOptions.maxSocketsPerAddress,
    maxQueuedRequests: options.maxQueuedRequests ?? defaultGatewayOptions.maxQueuedRequests,
    authTimeoutMs: options.authTimeoutMs ?? defaultGatewayOptions.authTimeoutMs,
    maxAnonymousConnections:
      options.maxAnonymousConnections ?? defaultGatewayOptions.maxAnonymousConnections,
    headersTimeoutMs: options.headersTimeoutMs ?? defaultGatewayOptions.headersTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    requestTimeoutMs: Math.max(
      options.requestTimeoutMs ?? defaultGatewayOptions.requestTimeoutMs,
      options.headersTimeoutMs ?? defaultGatewayOptions.headersTimeoutMs,
    ),
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? defaultGatewayOptions.keepAliveTimeoutMs,
    pageSecretTtlMs: options.pageSecretTtlMs ?? defaultGatewayOptions.pageSecretTtlMs,
    maxPageSecrets: options.maxPageSecrets ?? defaultGatewayOptions.maxPageSecrets,
    spareChildren: options.spareChildren ?? defaultGatewayOptions.spareChildren,
    cookieName: options.cookieName ?? defaultGatewayOptions.cookieName,
    childScript: options.childScript ?? DEFAULT_CHILD_SCRIPT,
    connectTimeoutMs: options.connectTimeoutMs ?? defaultGatewayOptions.connectTimeoutMs,
    replyTimeoutMs: options.replyTimeoutMs ?? defaultGatewayOptions.replyTimeoutMs,
    childGraceMs: options.childGraceMs ?? defaultGatewayOptions.childGraceMs,
    logger: options.logger,
    now: options.now ?? Date.now,
  };
}
