/**
 * The session child's reconnection policy (gateway/web-bridge/reconnect.ts): the waits, what
 * ends it, and "Try now". The processes and the real server are in browser-sessions.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtocolError } from '../../protocol/errors.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import {
  backoffMs,
  endOfReconnect,
  isPermanentFailure,
  MAX_RETRY_MS,
  Reconnector,
} from '../../gateway/web-bridge/reconnect.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('reconnecting', () => {
  it('waits 0.5 s, doubling to 15 s, each within ±20 %', () => {
    const middle = Array.from({ length: 8 }, (_, attempt) => backoffMs(attempt, () => 0.5));
    expect(middle).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect(backoffMs(0, () => 0)).toBe(400);
    expect(backoffMs(0, () => 0.999_999)).toBe(600);
    expect(backoffMs(1000, () => 0.999_999)).toBeLessThanOrEqual(MAX_RETRY_MS * 1.2);
  });

  it('ends the session for a changed password or server key, and keeps trying otherwise', () => {
    const refused = new ProtocolError('LOGIN_REJECTED', 'Invalid username or password');
    expect(isPermanentFailure(refused, 'client1', 'h:1')).toBe(true);
    expect(endOfReconnect(refused, 'client1', 'h:1')).toMatchObject({
      reason: 'passwordChanged',
      message: expect.stringMatching(/refused the password of client1.*Sign in again/) as string,
    });
    expect(
      isPermanentFailure(new ProtocolError('HANDSHAKE_FAILED', 'bad signature'), 'c', 'h'),
    ).toBe(true);
    const refusedConnection = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
    });
    expect(isPermanentFailure(refusedConnection, 'client1', 'h:1')).toBe(false);
  });

  it('tries after each wait until a connection is made; Try now skips the wait', async () => {
    vi.useFakeTimers();
    const waits: [number, number][] = [];
    const restored: MailClient[] = [];
    let refuse = 3;
    const client = { destroy: () => undefined } as unknown as MailClient;
    const connect = vi.fn(() =>
      refuse-- > 0 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(client),
    );
    const reconnector = new Reconnector(
      {
        connect,
        waiting: (ms, attempts) => {
          waits.push([ms, attempts]);
          return Promise.resolve();
        },
        restored: (made) => {
          restored.push(made);
          return Promise.resolve();
        },
        gaveUp: () => Promise.reject(new Error('not expected')),
      },
      () => false,
      () => 0.5,
    );
    reconnector.lost();
    reconnector.lost();
    expect(reconnector.active).toBe(true);
    expect(waits).toEqual([[500, 0]]);
    await vi.advanceTimersByTimeAsync(500);
    await vi.advanceTimersByTimeAsync(1000);
    expect(waits).toEqual([
      [500, 0],
      [1000, 1],
      [2000, 2],
    ]);
    // Try now: at once, not in 2 s.
    reconnector.tryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(connect).toHaveBeenCalledTimes(3);
    expect(waits.at(-1)).toEqual([4000, 3]);
    reconnector.tryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(restored).toEqual([client]);
    expect(reconnector.active).toBe(false);
  });
});
