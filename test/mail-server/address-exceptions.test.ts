import { describe, expect, it } from 'vitest';
import {
  AddressSet,
  DEFAULT_ADDRESS_LIMIT_EXCEPTIONS,
  parseAddressExceptions,
} from '../../mail-server/address-exceptions.js';
import { PendingLogins } from '../../mail-server/pending-logins.js';

describe('addresses the per-address connection count does not limit', () => {
  it('reads addresses and networks, or none, and refuses anything else with what is expected', () => {
    expect(parseAddressExceptions('127.0.0.1, ::1,10.0.0.0/8,fd00::/8')).toEqual([
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(parseAddressExceptions('none')).toEqual([]);
    for (const bad of [
      '',
      'localhost',
      '10.0.0.0/33',
      '::1/129',
      '10.0.0.0/8/1',
      '1.2.3',
      '10.0.0.0/x',
    ])
      expect(() => parseAddressExceptions(bad)).toThrow(/is not an address or a network/);
    expect(() => parseAddressExceptions(Array(65).fill('::1').join(','))).toThrow(/at most 64/);
  });

  it('matches this host by default, IPv4 as a dual-stack socket reports it too, and nothing else', () => {
    const host = new AddressSet(DEFAULT_ADDRESS_LIMIT_EXCEPTIONS);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((a) => host.has(a))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['127.0.0.2', '10.0.0.1', '::2', 'nonsense'].some((a) => host.has(a))).toBe(false);
    const lab = new AddressSet(parseAddressExceptions('10.0.0.0/8'));
    expect([lab.has('10.20.30.40'), lab.has('::ffff:10.1.1.1'), lab.has('11.0.0.1')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(new AddressSet([]).has('127.0.0.1')).toBe(false);
  });

  it('lets an exempt address past --max-pending-per-address, still counting its logins in processes', () => {
    const exempt = new AddressSet(DEFAULT_ADDRESS_LIMIT_EXCEPTIONS);
    const pending = new PendingLogins({
      maxPerAddress: 2,
      maxInProcessPerAddress: 1,
      exempt: (address) => exempt.has(address),
    });
    expect([1, 2, 3].map(() => pending.admit('127.0.0.1'))).toEqual([true, true, true]);
    expect([1, 2, 3].map(() => pending.admit('192.0.2.1'))).toEqual([true, true, false]);
    pending.enteredProcess('127.0.0.1');
    expect(pending.mayEnterProcess('127.0.0.1')).toBe(false);
    pending.settled('127.0.0.1', true);
    expect(pending.mayEnterProcess('127.0.0.1')).toBe(true);
  });
});
