/**
 * Client addresses that the per-address connection count does not limit, as Postfix's
 * `smtpd_client_event_limit_exceptions` (by default `$mynetworks`) and Dovecot's
 * `login_trusted_networks`. By default this host's own addresses, 127.0.0.1 and ::1: a
 * connection from there comes from the host's users or from the web gateway, which signs every
 * browser's user in from one address; counted as one address, a gateway or a lab's load
 * generator with more than --max-pending-per-address logins at once would have the rest
 * closed. (Other loopback addresses stay limited: the tests stand for strangers with them.)
 */
import { BlockList, isIP } from 'node:net';

export const DEFAULT_ADDRESS_LIMIT_EXCEPTIONS = ['127.0.0.1', '::1'] as const;
const NONE = 'none';
/** More would only slow each check; a site names networks, not hosts one by one. */
const MAX_ENTRIES = 64;

interface Entry {
  address: string;
  prefix: number | undefined;
  type: 'ipv4' | 'ipv6';
}

/** One `address[/prefix]`, or undefined when it is not one. */
function readEntry(entry: string): Entry | undefined {
  const [address = '', prefix, ...extra] = entry.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
  if (family === 0 || !prefixOk || extra.length > 0) return undefined;
  return {
    address,
    prefix: prefix === undefined ? undefined : Number(prefix),
    type: family === 4 ? 'ipv4' : 'ipv6',
  };
}

/** Parses `a.b.c.d[/n],x::y[/n],…` or `none`; throws with what is expected. */
export function parseAddressExceptions(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === NONE) return [];
  const entries = trimmed.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_ENTRIES)
    throw new Error(`at most ${MAX_ENTRIES} addresses or networks, not ${entries.length}`);
  for (const entry of entries) {
    if (!readEntry(entry))
      throw new Error(
        `"${entry}" is not an address or a network (e.g. 127.0.0.1, 10.0.0.0/8 or ::1); give a comma-separated list, or none`,
      );
  }
  return entries;
}

/** What `socket.remoteAddress` gives for IPv4 on a dual-stack socket: ::ffff:a.b.c.d. */
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** A set of addresses and networks that answers whether a client address is in it. */
export class AddressSet {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const entry of entries) {
      const read = readEntry(entry);
      if (!read) throw new Error(`"${entry}" is not an address or a network`);
      if (read.prefix === undefined) this.#list.addAddress(read.address, read.type);
      else this.#list.addSubnet(read.address, read.prefix, read.type);
    }
  }

  has(address: string): boolean {
    if (this.#empty) return false;
    const plain = MAPPED_IPV4.exec(address)?.[1] ?? address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
