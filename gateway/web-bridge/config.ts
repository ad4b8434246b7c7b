import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerAddress } from './server-address.js';
import { DEFAULT_ENHANCED_PORT, DEFAULT_MAIL_PORT } from './server-address.js';

export interface GatewayOptions {
  /** DIR with one user's key files, or one sub-folder per user. */
  keysDir: string;
  /** Used when a classic sign-in names no server. */
  defaultServer?: ServerAddress;
  /** Used when an enhanced sign-in names no server; also its port when a server names none. */
  defaultEnhancedServer?: ServerAddress;
  /** Other hosts serving the same users as `defaultServer`, tried in turn when it does not answer. */
  fallbackServers?: readonly ServerAddress[];
  /** The same for `defaultEnhancedServer`. */
  fallbackEnhancedServers?: readonly ServerAddress[];
  /** The built UI (index.html and its assets). */
  webRoot?: string;
  /** The background inbox check, in seconds; 0 turns it off. */
  pollSeconds?: number;
  /** A signed-in session with no request from its browser for this long is ended. */
  idleTimeoutSeconds?: number;
  /** The start-up token; a new random one when not given. */
  token?: string;
  /** Names besides localhost, 127.0.0.1 and [::1] that the Host header may carry. */
  allowedHosts?: readonly string[];
  /** Where the local Sent folders are kept: DATA/<user>/sent/. */
  dataDir?: string;
  /** Wrong passwords per username before each further one makes that username wait. */
  signInBackoff?: SignInBackoffPolicy;
  maxSessions?: number;
  /** WebSockets open at a time from one client address. */
  maxSocketsPerAddress?: number;
  /** Requests of one socket relayed to its session child and not answered yet. */
  maxQueuedRequests?: number;
  /** A socket that has not presented its page secret by then is closed. */
  authTimeoutMs?: number;
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

export type GatewayConfig = Required<Omit<GatewayOptions, 'logger'>> & {
  logger: FastifyBaseLogger | undefined;
};

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));
const DEFAULT_CHILD_SCRIPT = fileURLToPath(new URL('./session-child.js', import.meta.url));

export const defaultGatewayOptions = {
  defaultServer: { host: '127.0.0.1', port: DEFAULT_MAIL_PORT },
  defaultEnhancedServer: { host: '127.0.0.1', port: DEFAULT_ENHANCED_PORT },
  pollSeconds: 10,
  idleTimeoutSeconds: 15 * 60,
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

export function resolveConfig(options: GatewayOptions, token: string): GatewayConfig {
  return {
    keysDir: options.keysDir,
    defaultServer: options.defaultServer ?? defaultGatewayOptions.defaultServer,
    defaultEnhancedServer: options.defaultEnhancedServer ?? {
      host: (options.defaultServer ?? defaultGatewayOptions.defaultServer).host,
      port: DEFAULT_ENHANCED_PORT,
    },
    fallbackServers: options.fallbackServers ?? [],
    fallbackEnhancedServers: options.fallbackEnhancedServers ?? [],
    webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
    pollSeconds: options.pollSeconds ?? defaultGatewayOptions.pollSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? defaultGatewayOptions.idleTimeoutSeconds,
    token,
    allowedHosts: options.allowedHosts ?? [],
    dataDir: options.dataDir ?? defaultDataDir(options.keysDir),
    signInBackoff: options.signInBackoff ?? defaultGatewayOptions.signInBackoff,
    maxSessions: options.maxSessions ?? defaultGatewayOptions.maxSessions,
    maxSocketsPerAddress:
      options.maxSocketsPerAddress ?? defaultGatewayOptions.maxSocketsPerAddress,
    maxQueuedRequests: options.maxQueuedRequests ?? defaultGatewayOptions.maxQueuedRequests,
    authTimeoutMs: options.authTimeoutMs ?? defaultGatewayOptions.authTimeoutMs,
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
