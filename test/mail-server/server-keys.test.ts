/**
 * The server's keys during a rotation, with an injected clock: the previous key is read only
 * inside its window, asked for again at each use, and refused when its files disagree.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { previousKeyInWindow, readServerKeys } from '../../mail-server/server-keys.js';
import { rotateServerKey, serverKeyStatus } from '../../scripts/site-server-key.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T06:00:00.000Z');

let keys: { dir: string; cleanup: () => void };
let home: string;
beforeEach(async () => {
  keys = await makeKeySetup(['client1']);
  home = serverHome(keys.dir);
});
afterEach(() => {
  keys.cleanup();
});

describe('server keys during a rotation', () => {
  it('reads the previous key inside its window only, and checks its end at each use', async () => {
    const before = readServerKeys(home, NOW);
    expect(before.previous).toBeUndefined();
    const rotated = await rotateServerKey(home, { windowDays: 2, force: false, nowMs: NOW });
    expect(rotated.until).toBe(new Date(NOW + 2 * DAY).toISOString());

    const during = readServerKeys(home, NOW + DAY);
    expect(during.current.equals(before.current)).toBe(false);
    expect(during.previous?.privateKey.equals(before.current)).toBe(true);
    expect(previousKeyInWindow(during.previous, NOW + 2 * DAY - 1)).toBe(during.previous);
    expect(previousKeyInWindow(during.previous, NOW + 2 * DAY)).toBeUndefined();
    expect(readServerKeys(home, NOW + 2 * DAY).previous).toBeUndefined();

    expect(serverKeyStatus(home, NOW + DAY)).toEqual({
      current: keyFingerprint(createPublicKey(during.current)),
      previous: { fingerprint: rotated.oldFingerprint, until: rotated.until, open: true },
    });
    expect(serverKeyStatus(home, NOW + 3 * DAY).previous?.open).toBe(false);
  });

  it('refuses a second rotation inside the window unless forced, and allows one after it', async () => {
    await rotateServerKey(home, { windowDays: 1, force: false, nowMs: NOW });
    const current = readFileSync(join(home, 'server_public.pem'), 'utf8');
    await expect(
      rotateServerKey(home, { windowDays: 1, force: false, nowMs: NOW }),
    ).rejects.toThrow(/a key rotation is under way/);
    expect(readFileSync(join(home, 'server_public.pem'), 'utf8')).toBe(current);
    await rotateServerKey(home, { windowDays: 1, force: false, nowMs: NOW + 2 * DAY });
    await rotateServerKey(home, { windowDays: 1, force: true, nowMs: NOW + 2 * DAY });
  });

  it('refuses previous-key files that disagree or that others can read', async () => {
    await rotateServerKey(home, { windowDays: 1, force: false, nowMs: NOW });
    const windowFile = join(home, 'server_previous.json');
    const window = JSON.parse(readFileSync(windowFile, 'utf8')) as Record<string, string>;
    writeFileSync(windowFile, JSON.stringify({ ...window, fingerprint: 'SHA256:other' }));
    expect(() => readServerKeys(home, NOW)).toThrow(/not the SHA256:other/);
    writeFileSync(windowFile, JSON.stringify(window));
    chmodSync(join(home, 'server_previous_private.pem'), 0o644);
    expect(() => readServerKeys(home, NOW)).toThrow(/chmod 600/);
    writeFileSync(windowFile, '{"until": 5}');
    expect(() => readServerKeys(home, NOW)).toThrow(/must be \{"fingerprint"/);
  });

  it('refuses a window that is not a whole number of days', async () => {
    await expect(rotateServerKey(home, { windowDays: 0, force: false })).rejects.toThrow(
      /1 to 3650/,
    );
  });
});
