/** The one HOST[:PORT] reader: what it reads, and how each refusal says what to write instead. */
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  formatHostPort,
  parseHostPort,
  parseHostPortList,
} from '../../common/host-port.js';
import { parseServerList } from '../../gateway/protocol-client/server-list.js';
import { parseGatewayArgs } from '../../gateway/web-bridge/cli.js';
import { parseServerAddress } from '../../gateway/web-bridge/server-address.js';
import { isProtocolError } from '../../protocol/errors.js';

const connect = { defaultPort: 13000 };
const listen = { defaultPort: 8080, anyPort: true, hostForBarePort: '127.0.0.1' };

/** The refusal's message; fails the test when `read` does not throw an AddressError. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(AddressError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('HOST[:PORT]', () => {
  it('reads names, IPv4, IPv6 with and without brackets, with and without a port', () => {
    expect(parseHostPort('mail.example', connect)).toEqual({ host: 'mail.example', port: 13000 });
    expect(parseHostPort(' db_1:5433 ', connect)).toEqual({ host: 'db_1', port: 5433 });
    expect(parseHostPort('10.0.0.2:1', connect)).toEqual({ host: '10.0.0.2', port: 1 });
    expect(parseHostPort('[::1]:65535', connect)).toEqual({ host: '::1', port: 65535 });
    expect(parseHostPort('[fe80::1]', connect)).toEqual({ host: 'fe80::1', port: 13000 });
    expect(parseHostPort('::1', connect)).toEqual({ host: '::1', port: 13000 });
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatHostPort({ host: 'a', port: 1 })).toBe('a:1');
  });

  it('never takes a number alone for a host: a port where a program listens, else refused', () => {
    expect(parseHostPort('8080', listen)).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHostPort('0.0.0.0:0', listen)).toEqual({ host: '0.0.0.0', port: 0 });
    expect(refusal(() => parseHostPort('8080', connect))).toBe(
      '"8080" is a number alone, not a host; write HOST:PORT, as in 127.0.0.1:8080',
    );
    expect(refusal(() => parseHostPort('70000', listen))).toMatch(
      /^"70000" has no valid port: "70000" is not a number from 0 to 65535; write HOST:PORT/,
    );
  });

  it('says what is wrong and what to write instead', () => {
    expect(refusal(() => parseHostPort('mail.example:abc', connect))).toBe(
      '"mail.example:abc" has no valid port: "abc" is not a number from 1 to 65535; write HOST:PORT, as in mail.example:13000, 127.0.0.1:13000 or [::1]:13000',
    );
    expect(refusal(() => parseHostPort('a:0', connect))).toMatch(/not a number from 1 to 65535/);
    expect(refusal(() => parseHostPort(':13000', connect))).toMatch(
      /^":13000" names no host; write HOST:PORT/,
    );
    expect(refusal(() => parseHostPort('bad host', connect))).toMatch(
      /^"bad host" is not a host name or address; write a name, an IPv4 address or an IPv6 address in brackets/,
    );
    expect(refusal(() => parseHostPort('[nope]:1', connect))).toMatch(
      /^"\[nope\]:1" is not a valid IPv6 address in brackets; write one as in \[::1\]:13000/,
    );
    expect(refusal(() => parseHostPort('  ', connect))).toMatch(
      /^no host was named; write HOST:PORT/,
    );
    expect(refusal(() => parseHostPortList(' , ', connect))).toMatch(/^no host was named/);
  });

  it('is the one reader of server lists, sign-in servers and the gateway --listen', async () => {
    expect(parseHostPortList('a:1, b', connect)).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 13000 },
    ]);
    // The same words, as each program's own error.
    let listError: unknown;
    try {
      parseServerList('a:x', 13000);
    } catch (error) {
      listError = error;
    }
    expect(isProtocolError(listError, 'CONNECT_FAILED')).toBe(true);
    expect((listError as Error).message).toBe(refusal(() => parseHostPort('a:x', connect)));
    expect(() => parseServerAddress('a:x', 13000)).toThrow(
      refusal(() => parseHostPort('a:x', connect)),
    );
    expect((await parseGatewayArgs(['--keys', '.', '--listen', '8081'])).listen).toEqual({
      host: '127.0.0.1',
      port: 8081,
    });
  });
});
