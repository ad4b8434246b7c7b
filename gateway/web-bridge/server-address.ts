import { channelKinds } from '../../protocol/channel-kinds.js';
import { GatewayError } from './errors.js';

export interface ServerAddress {
  host: string;
  port: number;
}

export const DEFAULT_MAIL_PORT: number = channelKinds.classic.defaultPort;
export const DEFAULT_ENHANCED_PORT: number = channelKinds.enhanced.defaultPort;

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

function parsePort(text: string, whole: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new GatewayError('BAD_REQUEST', `"${whole}" has no valid port (1 to 65535)`);
  return port;
}

/** HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; throws BAD_REQUEST. */
export function parseServerAddress(text: string, defaultPort = DEFAULT_MAIL_PORT): ServerAddress {
  const value = text.trim();
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    const [, host = '', port] = bracketed;
    if (!IPV6.test(host))
      throw new GatewayError('BAD_REQUEST', `"${value}" is not a valid IPv6 address`);
    return { host, port: port === undefined ? defaultPort : parsePort(port, value) };
  }
  const colon = value.lastIndexOf(':');
  const host = colon < 0 ? value : value.slice(0, colon);
  if (!HOSTNAME.test(host))
    throw new GatewayError('BAD_REQUEST', `"${value}" is not a host name or address`);
  return { host, port: colon < 0 ? defaultPort : parsePort(value.slice(colon + 1), value) };
}

export function formatServerAddress({ host, port }: ServerAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
