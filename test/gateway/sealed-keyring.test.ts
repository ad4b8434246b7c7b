/**
 * The client's keyring: trust on first use, a changed key refused with a warning (in the
 * keyring or from the server), keys from the server written whole, never through a link.
 */
import { type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyChangedError, Keyring, PIN_FILE } from '../../gateway/protocol-client/keyring.js';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import { SEALERS_FILE, SealerMemory } from '../../gateway/protocol-client/sealer-memory.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

let alice: KeyObject;
let mallory: KeyObject;
let root: string;
let folder: string;

beforeAll(() => {
  alice = testRsaKeyPair('alice').publicKey;
  mallory = testRsaKeyPair('mallory').publicKey;
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sealed-mail-keyring-'));
  folder = join(root, 'keyring');
  mkdirSync(folder, { mode: 0o700 });
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const putKey = (name: string, key: KeyObject): void => {
  writeFileSync(join(folder, `${name}_public.pem`), pem(key));
};
const pins = (): string => readFileSync(join(folder, PIN_FILE), 'utf8');

function changedError(run: () => unknown): KeyChangedError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeyChangedError) return error;
    throw error;
  }
  throw new Error('the key was taken');
}

describe('keyring, trust on first use', () => {
  it('pins a keyring key the first time it is used, then knows it', () => {
    putKey('client1', alice);
    const keyring = new Keyring(folder);
    expect(keyring.find('client1')).toMatchObject({
      fingerprint: keyFingerprint(alice),
      source: 'keyring',
      pinnedNow: true,
    });
    expect(pins()).toBe(`client1 ${keyFingerprint(alice)}\n`);
    expect(keyring.find('client1')?.pinnedNow).toBe(false);
    expect(keyring.find('client2')).toBeUndefined();
  });

  it('refuses a key changed in the keyring after it was pinned, with a warning that says what to do', () => {
    putKey('client1', alice);
    new Keyring(folder).find('client1');
    putKey('client1', mallory);
    const error = changedError(() => new Keyring(folder).find('client1'));
    expect(error.code).toBe('KEY_CHANGED');
    expect(error.fatal).toBe(false);
    expect(error.message).toBe(
      `The key of client1 has changed: ${keyFingerprint(alice)} is pinned for client1, but your keyring now holds ${keyFingerprint(mallory)}. ` +
        `It may be an impostor's key, and it is not used. If client1 really has a new key, compare its fingerprint with client1, then forget the old one: npm run keyring -- forget client1 (it asks for your password).`,
    );
    expect(new Keyring(folder).list()).toEqual([
      {
        name: 'client1',
        fingerprint: keyFingerprint(mallory),
        pinned: keyFingerprint(alice),
        provenance: 'keyring',
      },
    ]);
  });

  it('adopts a key from the server for a name it has none of: pinned, written whole (0644), never replacing a file', () => {
    const keyring = new Keyring(folder);
    expect(keyring.adopt('client2', alice)).toMatchObject({
      source: 'server',
      pinnedNow: true,
      fingerprint: keyFingerprint(alice),
    });
    const file = join(folder, 'client2_public.pem');
    expect(readFileSync(file, 'utf8')).toBe(pem(alice));
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(folder).sort()).toEqual(['client2_public.pem', PIN_FILE]);
    expect(keyring.find('client2')).toMatchObject({ source: 'keyring', pinnedNow: false });
  });

  it('refuses a key from the server that is not the one pinned, and writes nothing', () => {
    const keyring = new Keyring(folder);
    keyring.adopt('client2', alice);
    rmSync(join(folder, 'client2_public.pem'));
    const error = changedError(() => keyring.adopt('client2', mallory));
    expect(error.source).toBe('server');
    expect(error.message).toContain(`but the server now gives ${keyFingerprint(mallory)}`);
    expect(existsSync(join(folder, 'client2_public.pem'))).toBe(false);
    // The pinned key, offered again, is taken back.
    expect(keyring.adopt('client2', alice).pinnedNow).toBe(false);
  });

  it('refuses a key from the server that differs from the keyring\u2019s', () => {
    putKey('client2', alice);
    const error = changedError(() => new Keyring(folder).adopt('client2', mallory));
    expect(error.pinned).toBe(keyFingerprint(alice));
    expect(readFileSync(join(folder, 'client2_public.pem'), 'utf8')).toBe(pem(alice));
  });

  it('refuses a name pinned to two keys (an edited known_keys)', () => {
    putKey('client1', alice);
    writeFileSync(
      join(folder, PIN_FILE),
      `client1 ${keyFingerprint(alice)}\nclient1 ${keyFingerprint(mallory)}\n`,
    );
    expect(changedError(() => new Keyring(folder).find('client1')).offered).toBe(
      keyFingerprint(mallory),
    );
  });

  it('says which line of known_keys is not a pin', () => {
    writeFileSync(join(folder, PIN_FILE), `# pins\n\nclient1 not-a-fingerprint\n`);
    putKey('client1', alice);
    expect(() => new Keyring(folder).find('client1')).toThrow(
      /keyring\/known_keys, line 3, is not "<user> SHA256:<fingerprint>"/,
    );
  });

  it('makes the keyring folder (0700) for a first key from the server', () => {
    rmSync(folder, { recursive: true });
    const keyring = new Keyring(folder);
    expect(keyring.list()).toEqual([]);
    expect(keyring.find('client2')).toBeUndefined();
    keyring.adopt('client2', alice);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
  });
});

describe('keyring, never through a link', () => {
  it('refuses a key file that is a symbolic link', () => {
    writeFileSync(join(root, 'elsewhere.pem'), pem(mallory));
    symlinkSync(join(root, 'elsewhere.pem'), join(folder, 'client1_public.pem'));
    expect(() => new Keyring(folder).find('client1')).toThrow(
      /keyring\/client1_public\.pem is a symbolic link, which is never followed/,
    );
  });

  it('refuses a known_keys that is a symbolic link, and writes nothing through it', () => {
    const target = join(root, 'target');
    writeFileSync(target, '');
    symlinkSync(target, join(folder, PIN_FILE));
    putKey('client1', alice);
    expect(() => new Keyring(folder).find('client1')).toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('');
  });

  it('refuses a keyring folder that is a link, or that others can write into', () => {
    const real = join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(root, 'linked'));
    expect(() => new Keyring(join(root, 'linked')).adopt('client1', alice)).toThrow(
      /the keyring folder is a symbolic link/,
    );
    chmodSync(folder, 0o777);
    putKey('client1', alice);
    expect(() => new Keyring(folder).find('client1')).toThrow(
      /the keyring folder can be written by other users/,
    );
  });

  it('has no place for a name that is not a username', () => {
    expect(() => new Keyring(folder).find('../server/client1')).toThrow(/has no place for/);
    expect(() => new Keyring(folder).adopt('../x', alice)).toThrow(/has no place for/);
  });
});

describe('keyring pins sealed to the user\u2019s own key', () => {
  const owner = testRsaKeyPair('keyring owner').privateKey;
  const seal = new LocalSeal(owner, 'client9');

  it('writes pins sealed: the file names nobody, and the same user reads them back', () => {
    putKey('client1', alice);
    const first = new Keyring(folder, seal).find('client1');
    expect(first?.pinnedNow).toBe(true);
    expect(pins()).toMatch(/^~[A-Za-z0-9+/=]+\n$/);
    expect(pins()).not.toContain('client1');
    expect(new Keyring(folder, seal).find('client1')?.pinnedNow).toBe(false);
    // A key swapped in the keyring is still refused against the sealed pin.
    putKey('client1', mallory);
    expect(changedError(() => new Keyring(folder, seal).find('client1')).pinned).toBe(
      keyFingerprint(alice),
    );
  });

  it('refuses a sealed pin altered, or sealed for another user, saying which line', () => {
    putKey('client1', alice);
    new Keyring(folder, seal).find('client1');
    const other = new LocalSeal(testRsaKeyPair('another user').privateKey, 'x');
    expect(() => new Keyring(folder, other).find('client1')).toThrow(
      /known_keys, line 1, does not open with this user's key/,
    );
    const line = pins().trim();
    const flipped = `${line.slice(0, 20)}${line[20] === 'A' ? 'B' : 'A'}${line.slice(21)}`;
    writeFileSync(join(folder, PIN_FILE), `${flipped}\n`);
    expect(() => new Keyring(folder, seal).find('client1')).toThrow(/does not open/);
  });

  it('seals a file of plain pins at its first use, and ignores plain lines added beside sealed ones', () => {
    putKey('client1', alice);
    writeFileSync(join(folder, PIN_FILE), `client1 ${keyFingerprint(alice)}\n`);
    expect(new Keyring(folder, seal).find('client1')?.pinnedNow).toBe(false);
    expect(pins()).not.toContain('client1');
    // A plain pin for mallory's key, added by hand beside the sealed one, counts for nothing.
    writeFileSync(join(folder, PIN_FILE), `${pins()}client1 ${keyFingerprint(mallory)}\n`);
    expect(new Keyring(folder, seal).find('client1')?.fingerprint).toBe(keyFingerprint(alice));
  });
});

describe('key provenance and the senders who sealed, sealed to the user', () => {
  const owner = testRsaKeyPair('keyring owner').privateKey;
  const seal = new LocalSeal(owner, 'client9');

  it('shows a server key as not compared until marked verified; a changed key cannot be marked, and forgetting drops the mark', () => {
    const keyring = new Keyring(folder, seal);
    expect(keyring.adopt('client2', alice).provenance).toBe('server');
    expect(new Keyring(folder, seal).find('client2')?.provenance).toBe('server');
    expect(keyring.list()).toEqual([
      { name: 'client2', fingerprint: keyFingerprint(alice), provenance: 'server' },
    ]);
    // Only the pinned key can be marked: another fingerprint is refused as a changed key.
    expect(() => keyring.markVerified('client2', keyFingerprint(mallory))).toThrow(KeyChangedError);
    expect(keyring.markVerified('client2', keyFingerprint(alice)).provenance).toBe('verified');
    expect(new Keyring(folder, seal).find('client2')?.provenance).toBe('verified');
    expect(pins()).not.toContain('verified');
    // The key swapped in the keyring keeps its warning, verified mark or not.
    putKey('client2', mallory);
    expect(() => keyring.find('client2')).toThrow(KeyChangedError);
    expect(() => keyring.markVerified('client2', keyFingerprint(mallory))).toThrow(KeyChangedError);
    expect(keyring.forget('client2')).toBe(true);
    expect(keyring.find('client2')?.provenance).toBe('keyring');
  });

  it('remembers who sealed, sealed to the user; lines it cannot open count for nothing', () => {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const memory = new SealerMemory(folder, seal);
    expect(memory.remember('client2')).toBe(true);
    expect(memory.remember('client2')).toBe(false);
    const file = readFileSync(join(folder, SEALERS_FILE), 'utf8');
    expect(file).not.toContain('client2');
    // Sealed for another user: it does not open with client9's key.
    const other = new LocalSeal(owner, 'client8');
    writeFileSync(
      join(folder, SEALERS_FILE),
      `${file}~${other.seal('sealed sender', Buffer.from('client3')).toString('base64')}\n`,
    );
    expect([...new SealerMemory(folder, seal).all()]).toEqual(['client2']);
  });
});
