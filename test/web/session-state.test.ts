import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newGatewayLink, planAfterClose } from '../../web/src/lib/connection-plan.js';
import { adviseAfterRefusal, adviseProtocol } from '../../web/src/lib/protocol-memory.js';
import { endedByPageLoad, parseMarker } from '../../web/src/lib/session-marker.js';
import { DEFAULT_SETTINGS, parseSettings } from '../../web/src/lib/settings.js';
import {
  MemoryStore,
  accountKey,
  accountOf,
  readJson,
  writeJson,
  type KeyValueStore,
} from '../../web/src/lib/storage.js';
import { PausableTimer } from '../../web/src/lib/timers.js';

describe('web UI protocol advice', () => {
  const reachable = {
    protocols: ['classic', 'enhanced'] as const,
    defaultProtocol: 'enhanced' as const,
  };
  const unreachable = { ...reachable, defaultProtocol: 'classic' as const };

  it('follows the gateway while it names no enhanced server gone missing', () => {
    expect(adviseProtocol(reachable)).toEqual({ preselect: 'enhanced' });
    expect(adviseProtocol(unreachable)).toEqual({ preselect: 'classic' });
    expect(adviseProtocol({ ...unreachable, protocols: ['classic'] })).toEqual({
      preselect: 'classic',
    });
  });

  it('never falls back to classic by itself when the gateway says an enhanced server it knew is gone: it warns and preselects nothing', () => {
    expect(adviseProtocol({ ...unreachable, enhancedMissing: 'mail:13001' })).toEqual({
      preselect: undefined,
      missingEnhanced: 'mail:13001',
    });
    expect(adviseAfterRefusal('mail')).toEqual({ preselect: undefined, missingEnhanced: 'mail' });
  });
});

describe('web UI gateway connection', () => {
  it('retries a network loss with growing waits, and neither a stale cookie nor a refusal', () => {
    expect(
      [0, 1, 2, 3, 4, 9].map((attempt) => planAfterClose('network', attempt).retryInMs),
    ).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(planAfterClose('staleCookie', 0)).toEqual({ state: 'staleCookie' });
    expect(planAfterClose('refused', 3)).toEqual({ state: 'refused' });
  });

  it('takes a pasted link only when it is this gateway’s, with a token', () => {
    const origin = 'http://127.0.0.1:8080';
    expect(newGatewayLink(' http://127.0.0.1:8080/?token=abc ', origin)).toBe(
      'http://127.0.0.1:8080/?token=abc',
    );
    expect(newGatewayLink('http://127.0.0.1:8080/', origin)).toBeUndefined();
    expect(newGatewayLink('http://evil.example/?token=abc', origin)).toBeUndefined();
    expect(newGatewayLink('not a link', origin)).toBeUndefined();
  });
});

describe('web UI page reload', () => {
  const marker = {
    username: 'client7',
    typedServer: '',
    protocol: 'classic',
    server: '127.0.0.1:13000',
  };

  it('reads back the signed-in note, and nothing else', () => {
    expect(parseMarker(marker)).toEqual(marker);
    expect(parseMarker({ ...marker, protocol: 'other' })).toBeUndefined();
    expect(parseMarker('client7')).toBeUndefined();
  });

  it('says why the session ended', () => {
    const parsed = parseMarker(marker);
    if (!parsed) throw new Error('no marker');
    // Said only when the page found no session to join (a reload within the grace period joins it).
    expect(endedByPageLoad(parsed, 'reload')).toBe(
      'Your session as client7 has ended while the page was reloaded. Sign in again to go on.',
    );
    expect(endedByPageLoad(parsed, 'back_forward')).toMatch(/while the page was closed or left/);
  });

  it('says the gateway restarted when the page left for its new link', () => {
    const left = parseMarker({ ...marker, endedBy: 'gatewayRestart' });
    expect(left?.endedBy).toBe('gatewayRestart');
    if (!left) throw new Error('no marker');
    expect(endedByPageLoad(left, 'navigate')).toBe(
      'The gateway was restarted, which ended your session as client7. Sign in again to go on.',
    );
    expect(parseMarker({ ...marker, endedBy: 'other' })).toEqual(marker);
  });
});

describe('web UI storage and settings', () => {
  it('keeps each user’s things apart, the same mailbox on either protocol’s port', () => {
    expect(accountOf('client1', '127.0.0.1:13000')).toEqual(
      accountOf('client1', '127.0.0.1:13001'),
    );
    expect(accountKey(accountOf('client1', '[::1]:13000'), 'read')).toBe(
      'sealed-mail:read:client1@[::1]',
    );
    expect(accountKey(accountOf('client1', 'mail'), 'read')).not.toBe(
      accountKey(accountOf('client2', 'mail'), 'read'),
    );
  });

  it('survives storage that refuses to write or holds garbage', () => {
    const full: KeyValueStore = {
      getItem: () => '{not json',
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(writeJson(full, 'k', [1])).toBe(false);
    expect(readJson(full, 'k')).toBeUndefined();
    const memory = new MemoryStore();
    expect(writeJson(memory, 'k', { a: 1 })).toBe(true);
    expect(readJson(memory, 'k')).toEqual({ a: 1 });
  });

  it('reads settings back, each wrong value replaced by its default', () => {
    expect(parseSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.undoSeconds).toBe(5);
    expect(parseSettings({ theme: 'dark', undoSeconds: 0, desktopNotifications: true })).toEqual({
      ...DEFAULT_SETTINGS,
      theme: 'dark',
      undoSeconds: 0,
      desktopNotifications: true,
    });
    expect(parseSettings({ theme: 'neon', undoSeconds: -1 })).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings({ undoSeconds: 2.5 }).undoSeconds).toBe(5);
  });
});

describe('web UI timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once when its time is up; pausing keeps the time left', () => {
    const done = vi.fn();
    const timer = new PausableTimer(7000, done);
    vi.advanceTimersByTime(5000);
    timer.pause();
    vi.advanceTimersByTime(60_000);
    expect(done).not.toHaveBeenCalled();
    expect(timer.remainingMs).toBe(2000);
    timer.resume();
    vi.advanceTimersByTime(1999);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledTimes(1);
    expect(timer.done).toBe(true);
  });

  it('can run at once or be cancelled', () => {
    const done = vi.fn();
    const now = new PausableTimer(5000, done);
    now.finish();
    now.finish();
    expect(done).toHaveBeenCalledTimes(1);
    const cancelled = new PausableTimer(5000, done);
    cancelled.cancel();
    vi.advanceTimersByTime(10_000);
    expect(done).toHaveBeenCalledTimes(1);
  });
});
