/**
 * The client's side of a server key update once the protocol has verified it
 * (gateway/protocol-client/server-key-update.ts): server_public.pem is replaced only while it
 * still holds the key that signed the update, and a file that cannot be written costs the
 * session nothing: the user is told what to do instead.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  adoptServerKey,
  serverKeyAdoptedText,
} from '../../gateway/protocol-client/server-key-update.js';
import type { ClientKeys } from '../../protocol/login.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

const rsa = (label: string): KeyObject => testRsaKeyPair(label).publicKey;
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const [oldKey, newKey, otherKey] = [rsa('old server'), rsa('new server'), rsa('other server')] as [
  KeyObject,
  KeyObject,
  KeyObject,
];
const UNTIL = Date.parse('2027-01-06T00:00:00.000Z');

let dir: string;
let file: string;
const keysHolding = (key: KeyObject): ClientKeys => ({
  serverPublicKey: key,
  privateKey: () => {
    throw new Error('not needed');
  },
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealed-mail-key-update-'));
  file = join(dir, 'server_public.pem');
  writeFileSync(file, pem(oldKey));
});
/** The folder made unwritable, to root too (chattr +i) where that can be done; whether it is. */
function makeUnwritable(folder: string): boolean {
  chmodSync(folder, 0o500);
  if (process.getuid?.() === 0) spawnSync('chattr', ['+i', folder]);
  try {
    writeFileSync(join(folder, 'probe'), '');
    return false;
  } catch {
    return true;
  }
}

afterEach(() => {
  if (process.getuid?.() === 0) spawnSync('chattr', ['-i', dir]);
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

describe('adopting a verified server key update', () => {
  it('replaces server_public.pem and the key held, and says so', () => {
    const keys = keysHolding(oldKey);
    const adopted = adoptServerKey(keys, file, {
      publicKey: newKey,
      untilMs: UNTIL,
      replaced: oldKey,
    });
    expect(readFileSync(file, 'utf8')).toBe(pem(newKey));
    expect(keys.serverPublicKey).toBe(newKey);
    expect(adopted.file).toBe(file);
    expect(serverKeyAdoptedText(adopted)).toMatch(
      /^The server's key was replaced by its administrator: this computer now holds the new key \(SHA256:.+\) in .*server_public\.pem, .*accepted until 2027-01-06T00:00:00\.000Z only\.$/,
    );
  });

  it('keeps a file that no longer holds the key that signed (a new bundle copied in meanwhile)', () => {
    writeFileSync(file, pem(otherKey));
    const adopted = adoptServerKey(keysHolding(oldKey), file, {
      publicKey: newKey,
      untilMs: UNTIL,
      replaced: oldKey,
    });
    expect(readFileSync(file, 'utf8')).toBe(pem(otherKey));
    expect(adopted.file).toBeUndefined();
  });

  it('goes on when the file cannot be written, and tells the user what to do', (context) => {
    if (!makeUnwritable(dir)) context.skip('no way to make a folder unwritable here');
    const keys = keysHolding(oldKey);
    const adopted = adoptServerKey(keys, file, {
      publicKey: newKey,
      untilMs: UNTIL,
      replaced: oldKey,
    });
    expect(readFileSync(file, 'utf8')).toBe(pem(oldKey));
    expect(keys.serverPublicKey).toBe(newKey);
    expect(serverKeyAdoptedText(adopted)).toMatch(
      /could not be replaced .* ask the administrator for a new bundle, before 2027-01-06/,
    );
  });
});
