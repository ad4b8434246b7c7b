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
  /** Sign-in attempts allowed per window, over all browser sessions. */
  signInLimit?: { max: number; windowMs: number };
  maxSessions?: number;
  /** Session children started ahead of sign-ins (0 forks at each sign-in). */
  spareChildren?: number;
  cookieName?: string;
  /** The compiled session child entry (tests running TypeScript point it at dist/). */
  childScript?: string;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** How long a child gets to end its protocol session before it is killed. */
  childGraceMs?: number;
  logger?: FastifyBaseLogger;
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
  signInLimit: { max: 10, windowMs: 60_000 },
  maxSessions: 32,
  spareChildren: 1,
  cookieName: 'sealed_mail_gateway',
  connectTimeoutMs: 10_000,
  replyTimeoutMs: 60_000,
  childGraceMs: 3000,
} as const;

export function resolveConfig(options: GatewayOptions, token: string): GatewayConfig {
  return {
    keysDir: options.keysDir,
    defaultServer: options.defaultServer ?? defaultGatewayOptions.defaultServer,
    defaultEnhancedServer: options.defaultEnhancedServer ?? {
      host: (options.defaultServer ?? defaultGatewayOptions.defaultServer).host,
      port: DEFAULT_ENHANCED_PORT,
    },
    webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
    pollSeconds: options.pollSeconds ?? defaultGatewayOptions.pollSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? defaultGatewayOptions.idleTimeoutSeconds,
    token,
    allowedHosts: options.allowedHosts ?? [],
    signInLimit: options.signInLimit ?? defaultGatewayOptions.signInLimit,
    maxSessions: options.maxSessions ?? defaultGatewayOptions.maxSessions,
    spareChildren: options.spareChildren ?? defaultGatewayOptions.spareChildren,
    cookieName: options.cookieName ?? defaultGatewayOptions.cookieName,
    childScript: options.childScript ?? DEFAULT_CHILD_SCRIPT,
    connectTimeoutMs: options.connectTimeoutMs ?? defaultGatewayOptions.connectTimeoutMs,
    replyTimeoutMs: options.replyTimeoutMs ?? defaultGatewayOptions.replyTimeoutMs,
    childGraceMs: options.childGraceMs ?? defaultGatewayOptions.childGraceMs,
    logger: options.logger,
  };
}
