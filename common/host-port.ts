/**
 * The one reader of `HOST[:PORT]` and of lists of them (`HOST[:PORT],HOST[:PORT],...`), for
 * every program: the mail server's store URL, the gateway's --listen and --server, a sign-in's
 * server, the terminal client's --host. Every refusal says what is wrong and what to write
 * instead, in the same words wherever it is made.
 *
 * HOST is a DNS name, an IPv4 address, or an IPv6 address (in brackets when a port follows:
 * `[::1]:13000`; alone, `::1` is read as a host). A number alone (`8080`) is never taken for a
 * host (Node would read it as the IPv4 address 0.0.31.144): a reader that allows it reads it as
 * a port on its default host, the others refuse it.
 */

export interface HostPort {
  host: string;
  port: number;
}

/** A refusal of an address: `message` says what is wrong and what to write instead. */
export class AddressError extends Error {
  override name = 'AddressError';
}

export interface AddressRules {
  /** The port of a HOST given without one. */
  defaultPort: number;
  /** Port 0 (any free port) allowed: where a program listens, never where it connects. */
  anyPort?: boolean;
  /** A number alone is this host's port (where a program listens); refused without it. */
  hostForBarePort?: string;
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const EXAMPLE = 'as in mail.example:13000, 127.0.0.1:13000 or [::1]:13000';

function parsePort(text: string, whole: string, rules: AddressRules): number {
  const lowest = rules.anyPort ? 0 : 1;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= lowest && port <= 65535))
    throw new AddressError(
      `"${whole}" has no valid port: "${text}" is not a number from ${lowest} to 65535; write HOST:PORT, ${EXAMPLE}`,
    );
  return port;
}

function checkHost(host: string, whole: string): string {
  if (host === '') throw new AddressError(`"${whole}" names no host; write HOST:PORT, ${EXAMPLE}`);
  if (/^\d+$/.test(host))
    throw new AddressError(
      `"${whole}" is a number alone, not a host; write HOST:PORT, as in 127.0.0.1:${host}`,
    );
  if (!HOSTNAME.test(host))
    throw new AddressError(
      `"${whole}" is not a host name or address; write a name, an IPv4 address or an IPv6 address in brackets, ${EXAMPLE}`,
    );
  return host;
}

/** One `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT` or `IPv6`; throws AddressError. */
export function parseHostPort(text: string, rules: AddressRules): HostPort {
  const whole = text.trim();
  if (whole === '') throw new AddressError(`no host was named; write HOST:PORT, ${EXAMPLE}`);
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(whole);
  if (bracketed) {
    const [, host = '', port] = bracketed;
    if (!IPV6.test(host) || !host.includes(':'))
      throw new AddressError(
        `"${whole}" is not a valid IPv6 address in brackets; write one as in [::1]:13000`,
      );
    return { host, port: port === undefined ? rules.defaultPort : parsePort(port, whole, rules) };
  }
  if (/^\d+$/.test(whole) && rules.hostForBarePort !== undefined)
    return { host: rules.hostForBarePort, port: parsePort(whole, whole, rules) };
  const colons = whole.split(':').length - 1;
  // Two colons or more without brackets: an IPv6 address alone.
  if (colons >= 2) {
    if (!IPV6.test(whole))
      throw new AddressError(
        `"${whole}" is not a host name or address; write an IPv6 address with a port in brackets, as in [::1]:13000`,
      );
    return { host: whole, port: rules.defaultPort };
  }
  if (colons === 0) return { host: checkHost(whole, whole), port: rules.defaultPort };
  const [host = '', port = ''] = whole.split(':');
  return { host: checkHost(host, whole), port: parsePort(port, whole, rules) };
}

/** `a`, `a:13000` or `a:13000,b:13000` (spaces allowed), at least one; throws AddressError. */
export function parseHostPortList(text: string, rules: AddressRules): HostPort[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0)
    throw new AddressError(`no host was named; write HOST:PORT or several, ${EXAMPLE}`);
  return items.map((item) => parseHostPort(item, rules));
}

/** HOST:PORT, the IPv6 host in brackets. */
export const formatHostPort = ({ host, port }: HostPort): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export const formatHostPortList = (addresses: readonly HostPort[]): string =>
  addresses.map(formatHostPort).join(',');

/**
 * Runs a reader of this module, its refusal turned into the caller's own error (a protocol
 * error, a gateway error, a command-line error) with the same words.
 */
export function refuseAs<T>(read: () => T, refusal: (message: string) => Error): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof AddressError) throw refusal(error.message);
    throw error;
  }
}
