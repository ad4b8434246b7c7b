/** The web gateway's reading of a server address: common/host-port.ts, refusals as BAD_REQUEST. */
import { formatHostPort, parseHostPort, refuseAs } from '../../common/host-port.js';
import { channelKinds } from '../../protocol/channel-kinds.js';
import type { ServerAddress } from '../protocol-client/server-list.js';
import { GatewayError } from './errors.js';

export type { ServerAddress };

export const DEFAULT_MAIL_PORT: number = channelKinds.classic.defaultPort;
export const DEFAULT_ENHANCED_PORT: number = channelKinds.enhanced.defaultPort;

/** HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; throws BAD_REQUEST saying what to write instead. */
export function parseServerAddress(text: string, defaultPort = DEFAULT_MAIL_PORT): ServerAddress {
  return refuseAs(
    () => parseHostPort(text, { defaultPort }),
    (message) => new GatewayError('BAD_REQUEST', message),
  );
}

export const formatServerAddress = formatHostPort;
