/**
 * The mail servers a client may use: one host, or several hosts of one site that serve the
 * same users (`HOST[:PORT],HOST[:PORT],...`, IPv6 in brackets). They are tried in the order
 * given; the next one is tried when one does not answer (refused, unreachable, silent, or
 * gone before the menu), never when one answers (a refused login is the answer of them all).
 */
import {
  formatHostPort,
  formatHostPortList,
  parseHostPortList,
  refuseAs,
  type HostPort,
} from '../../common/host-port.js';
import { isConnectionLost, isProtocolError, ProtocolError } from '../../protocol/errors.js';

/** A mail server's HOST and PORT (common/host-port.ts reads and writes them). */
export type ServerAddress = HostPort;

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

/**
 * `a`, `a:13000` or `a:13000,b:13000` (spaces allowed); a server without a port gets
 * `defaultPort`. Throws CONNECT_FAILED with what is wrong and what to write instead.
 */
export function parseServerList(text: string, defaultPort: number): ServerAddress[] {
  return refuseAs(
    () => parseHostPortList(text, { defaultPort }),
    (message) => new ProtocolError('CONNECT_FAILED', message),
  );
}

export const formatServer = formatHostPort;

export const formatServerList = formatHostPortList;

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
