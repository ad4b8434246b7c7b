/** Server lists of the protocol client: how they are read, and which server a session uses. */
import { describe, expect, it } from 'vitest';
import {
  describeChoice,
  parseServerList,
  tryInTurn,
} from '../../gateway/protocol-client/server-list.js';
import { isProtocolError, ProtocolError } from '../../protocol/errors.js';

describe('server lists', () => {
  it('reads one host, hosts with ports, IPv6 with and without brackets', () => {
    expect(parseServerList('mail.example', 13000)).toEqual([{ host: 'mail.example', port: 13000 }]);
    expect(parseServerList(' a:13000, b ,[::1]:13002,::1 ', 13001)).toEqual([
      { host: 'a', port: 13000 },
      { host: 'b', port: 13001 },
      { host: '::1', port: 13002 },
      { host: '::1', port: 13001 },
    ]);
  });

  it('refuses a list that names no server or a bad port', () => {
    for (const text of [' , ', 'a:0', 'a:70000', 'a:x', ':13000']) {
      expect(() => parseServerList(text, 13000)).toThrow(ProtocolError);
    }
  });

  it('tries the next server only when one does not answer, and says which it used', async () => {
    const tried: string[] = [];
    const { result, choice } = await tryInTurn(parseServerList('a,b,c', 1), (server) => {
      tried.push(server.host);
      if (server.host === 'a')
        return Promise.reject(new ProtocolError('CONNECT_FAILED', 'connection refused'));
      return Promise.resolve(`session on ${server.host}`);
    });
    expect(tried).toEqual(['a', 'b']);
    expect(result).toBe('session on b');
    expect(describeChoice(choice)).toBe(
      'Using the mail server b:1 (no answer from a:1: connection refused).',
    );
  });

  it('stops at an answer that is no: a refused login is every host’s answer', async () => {
    const tried: string[] = [];
    const failure = await tryInTurn(parseServerList('a,b', 1), (server) => {
      tried.push(server.host);
      return Promise.reject(new ProtocolError('LOGIN_REJECTED', 'Invalid username or password.'));
    }).catch((error: unknown) => error);
    expect(isProtocolError(failure, 'LOGIN_REJECTED')).toBe(true);
    expect(tried).toEqual(['a']);
  });

  it('names every server and its reason when none answers', async () => {
    const failure = await tryInTurn(parseServerList('a,b', 1), (server) =>
      Promise.reject(new ProtocolError('CONNECT_FAILED', `${server.host} is down`)),
    ).catch((error: unknown) => error);
    expect(isProtocolError(failure, 'CONNECT_FAILED')).toBe(true);
    expect((failure as Error).message).toBe(
      'no mail server answered: a:1 (a is down); b:1 (b is down)',
    );
  });
});
