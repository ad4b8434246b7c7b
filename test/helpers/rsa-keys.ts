/**
 * RSA key pairs for tests that need key objects rather than a whole key setup: one pair per
 * label and size for the whole run, so that a label names a key (two labels, two keys). Made
 * once per run and kept beside the key templates (test/setup/key-templates.ts), instead of once
 * per test or per file (about six RSA-2048 generations fewer per run, each 0.1-0.3 s of CPU).
 * The first file written for a label is the one every worker takes (common/safe-files.ts,
 * `place: 'new'`: a link, which never replaces).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { writeFileSafely } from '../../common/safe-files.js';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const made = new Map<string, TestKeyPair>();

const pairOf = (privatePem: string): TestKeyPair => {
  const privateKey = createPrivateKey(privatePem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
};

/** The run's RSA key pair named `label` (of `bits` bits). */
export function testRsaKeyPair(label: string, bits = 2048): TestKeyPair {
  const id = `${label.replace(/[^A-Za-z0-9-]/g, '_')}-${bits}`;
  let pair = made.get(id);
  if (pair) return pair;
  const folder = join(inject('keyTemplates'), 'rsa');
  const file = join(folder, `${id}.pem`);
  if (existsSync(file)) {
    pair = pairOf(readFileSync(file, 'utf8'));
  } else {
    const privatePem = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    try {
      writeFileSafely(folder, `${id}.pem`, privatePem, { mode: 0o600, place: 'new' });
      pair = pairOf(privatePem);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      pair = pairOf(readFileSync(file, 'utf8'));
    }
  }
  made.set(id, pair);
  return pair;
}
