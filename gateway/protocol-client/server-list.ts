/**
 * The mail servers a client may use: one host, or several hosts of one site that serve the
 * same users (`HOST[:PORT],HOST[:PORT],...`, IPv6 in brackets). They are tried in the order
 * given; the next one is tried when one does not answer (refused, unreachable, silent, or
 * gone before the menu), never when one answers (a refused login is the answer of them all).
 */
import { isConnectionLost, isProtocolError, ProtocolError } from '../../protocol/errors.js';

export interface ServerAddress {
  host: string;
  port: number;
}

/** A server passed over, and why. */
export interface PassedOver {
  server: ServerAddress;
  reason: string;
}

/** Which of several servers a session uses, and those that did not answer before it. */
export interface ServerChoice {
  server: ServerAddress;
  passedOver: PassedOver[];
}

function parsePort(text: string, item: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new ProtocolError('CONNECT_FAILED', `"${item}" has no valid port (1 to 65535)`);
  return port;
}

function parseServer(item: string, defaultPort: number): ServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(item);
  if (bracketed) {
    const [, host = '', port] = bracketed;
    return { host, port: port === undefined ? defaultPort : parsePort(port, item) };
  }
  const colons = item.split(':').length - 1;
  // Two colons or more without brackets: an IPv6 address alone.
  if (colons !== 1) return { host: item, port: defaultPort };
  const [host = '', port = ''] = item.split(':');
  if (host === '') throw new ProtocolError('CONNECT_FAILED', `"${item}" names no host`);
  return { host, port: parsePort(port, item) };
}

/** `a`, `a:13000` or `a:13000,b:13000` (spaces allowed); a server without a port gets `defaultPort`. */
export function parseServerList(text: string, defaultPort: number): ServerAddress[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new ProtocolError('CONNECT_FAILED', 'no mail server was named');
  return items.map((item) => parseServer(item, defaultPort));
}

export const formatServer = ({ host, port }: ServerAddress): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export const formatServerList = (servers: readonly ServerAddress[]): string =>
  servers.map(formatServer).join(',');

/** The servers a host string names, as HOST:PORT,...; the string itself when it names none. */
export function describeServers(host: string, port: number): string {
  try {
    return formatServerList(parseServerList(host, port));
  } catch {
    return host;
  }
}

/** What a person is told: the server used, and those that did not answer first. */
export function describeChoice({ server, passedOver }: ServerChoice): string {
  const skipped = passedOver.map((each) => `${formatServer(each.server)}: ${each.reason}`);
  return skipped.length === 0
    ? `Using the mail server ${formatServer(server)}.`
    : `Using the mail server ${formatServer(server)} (no answer from ${skipped.join('; ')}).`;
}

/** Errors that say a server did not answer (so another may), not that it answered no. */
export const isNoAnswer = (error: unknown): boolean =>
  isProtocolError(error, 'CONNECT_FAILED') || isConnectionLost(error);

/**
 * Runs `attempt` against each server in turn until one answers. With one server its error is
 * passed on as it is; with several, an error that says none answered and why.
 */
export async function tryInTurn<T>(
  servers: readonly ServerAddress[],
  attempt: (server: ServerAddress) => Promise<T>,
): Promise<{ result: T; choice: ServerChoice }> {
  const passedOver: PassedOver[] = [];
  let last: unknown;
  for (const server of servers) {
    try {
      return { result: await attempt(server), choice: { server, passedOver } };
    } catch (error) {
      if (!isNoAnswer(error)) throw error;
      last = error;
      passedOver.push({ server, reason: (error as Error).message });
    }
  }
  if (servers.length === 1) throw last;
  throw new ProtocolError(
    'CONNECT_FAILED',
    `no mail server answered: ${passedOver
      .map((each) => `${formatServer(each.server)} (${each.reason})`)
      .join('; ')}`,
    { cause: last },
  );
}
