/**
 * Where a sign-in goes: the server typed, or the gateway's defaults for its protocol (the
 * first, with the others as fallbacks), after the username and protocol are checked.
 */
import { CHANNEL_KINDS } from '../../protocol/channel-kinds.js';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import type { ChannelKind, Reply, SignInRequest } from '../messages.js';
import { formatServerList } from '../protocol-client/server-list.js';
import type { ChildSignIn } from './child-protocol.js';
import type { DowngradeGuard } from './downgrade-guard.js';
import { GatewayError } from './errors.js';
import type { GatewayConfig, ServerList } from './config.js';
import { DEFAULT_ENHANCED_PORT, parseServerAddress, type ServerAddress } from './server-address.js';

/** The protocols this gateway can speak. */
export const availableProtocols = (): ChannelKind[] => [...CHANNEL_KINDS];

export function signInTargets(
  request: SignInRequest,
  servers: Record<ChannelKind, ServerList>,
): { server: ServerAddress; fallbacks: ServerAddress[] } {
  if (!USERNAME_PATTERN.test(request.username)) {
    throw new GatewayError('BAD_REQUEST', 'a username has letters, digits, ".", "_" and "-" only');
  }
  if (!availableProtocols().includes(request.protocol)) {
    throw new GatewayError(
      'BAD_REQUEST',
      `the ${request.protocol} protocol is not available in this gateway`,
    );
  }
  // Each protocol has its own port: no negotiation on one port, so no downgrade on the wire;
  // a person pushed from one port to the other is what the downgrade guard is for.
  const [defaults, ...others] = servers[request.protocol];
  const named = request.server.trim() !== '';
  const server: ServerAddress = named
    ? parseServerAddress(request.server, defaults.port)
    : defaults;
  const fallbacks = named ? [] : others;
  return { server, fallbacks };
}

/** What the session child is told to sign in with. */
export function childSignIn(
  request: SignInRequest,
  server: ServerAddress,
  fallbacks: ServerAddress[],
  config: GatewayConfig,
): ChildSignIn {
  return {
    type: 'signIn',
    id: request.id,
    host: fallbacks.length === 0 ? server.host : formatServerList([server, ...fallbacks]),
    port: server.port,
    username: request.username,
    password: request.password,
    protocol: request.protocol,
    keysDir: config.keysDir,
    dataDir: config.dataDir,
    pollMs: config.pollSeconds * 1000,
    trashDays: config.trashDays,
    connectTimeoutMs: config.connectTimeoutMs,
    replyTimeoutMs: config.replyTimeoutMs,
  };
}

/** A verified enhanced server: a classic sign-in to its host without it is a downgrade from now on. */
export function rememberVerifiedEnhanced(
  downgrades: DowngradeGuard,
  hosts: string[],
  reply: Extract<Reply, { type: 'signedIn' }>,
): void {
  if (reply.protocol !== 'enhanced' || reply.serverFingerprint === undefined) return;
  try {
    downgrades.remember(hosts, parseServerAddress(reply.server, DEFAULT_ENHANCED_PORT));
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
  }
}
