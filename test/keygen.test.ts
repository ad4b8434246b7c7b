import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from './helpers/processes.js';
import { startMailServer } from './helpers/server.js';
import { signIn } from './helpers/client.js';
import { isProtocolError } from '../protocol/errors.js';
import { hashPassword, parsePasswordRecord, verifyPassword, standInRecord } from '../mail-server/passwords.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-keygen-'));
  dirs.push(dir);
  return dir;
};

describe('key generator and passwords', () => {
  it('writes the server home and each user machine, private keys 0600, and refuses to overwrite', async () => {
    const out = tempDir();
    const first = await runNode('scripts/keygen.js', [
      '--out',
      out,
      '--users',
      'alice,bob',
      '--passwords',
      'pa,pb',
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'server', 'user_pass.json'), 'utf8'))).toEqual({
      alice: 'pa',
      bob: 'pb',
    });
    for (const file of [
      'server/server_private.pem',
      'alice/alice_private.pem',
      'bob/bob_private.pem',
    ]) {
      expect(statSync(join(out, file)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(out, file), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    }
    expect(readFileSync(join(out, 'alice', 'server_public.pem'), 'utf8')).toBe(
      readFileSync(join(out, 'server', 'server_public.pem'), 'utf8'),
    );
    expect(readFileSync(join(out, 'server', 'bob_public.pem'), 'utf8')).toMatch(
      /^-----BEGIN PUBLIC KEY-----/,
    );
    expect(statSync(join(out, 'server', 'alice')).isDirectory()).toBe(true);

    const again = await runNode('scripts/keygen.js', ['--out', out, '--users', 'alice,bob']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds keys; use --force to replace them');
    expect(
      (await runNode('scripts/keygen.js', ['--out', out, '--users', 'alice,bob', '--force'])).code,
    ).toBe(0);
    expect((await runNode('scripts/keygen.js', ['--out', out, '--users', '../x'])).stderr).toMatch(
      /not a valid username/,
    );
  });

  it('--hash stores scrypt hashes that the server accepts, and nothing else', async () => {
    const out = tempDir();
    expect(
      (await runNode('scripts/keygen.js', ['--out', out, '--users', 'client1,client2', '--hash']))
        .code,
    ).toBe(0);
    const stored = JSON.parse(
      readFileSync(join(out, 'server', 'user_pass.json'), 'utf8'),
    ) as Record<string, string>;
    expect(stored.client1).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(JSON.stringify(stored)).not.toContain('password1');
    const server = await startMailServer(join(out, 'server'));
    try {
      const client = await signIn(server.port, out, 'client1', 'password1');
      await client.terminate();
      const refused = await signIn(server.port, out, 'client1', 'password2').catch(
        (error: unknown) => error,
      );
      expect(isProtocolError(refused, 'LOGIN_REJECTED')).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('verifies plain and hashed passwords, and never an unknown user', () => {
    const hashed = parsePasswordRecord(hashPassword('secret', 1024));
    expect(verifyPassword(hashed, 'secret')).toBe(true);
    expect(verifyPassword(hashed, 'Secret')).toBe(false);
    expect(verifyPassword(parsePasswordRecord('plain'), 'plain')).toBe(true);
    expect(verifyPassword(parsePasswordRecord('plain'), 'plain ')).toBe(false);
    // An unknown user is checked against a stand-in that costs what the home's records cost.
    const standIn = standInRecord([parsePasswordRecord('plain'), hashed]);
    expect(standIn).toMatchObject({ kind: 'scrypt', N: 1024, r: 8, p: 1 });
    expect(verifyPassword(standIn, 'secret')).toBe(false);
    expect(verifyPassword(standInRecord([parsePasswordRecord('plain')]), 'plain')).toBe(false);
    expect(() => parsePasswordRecord('scrypt$3$8$1$c2FsdHNhbHQ=$aGFzaA==')).toThrow(
      /malformed scrypt hash/,
    );
  });
});
