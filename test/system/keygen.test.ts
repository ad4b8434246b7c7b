import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { startMailServer } from '../helpers/server.js';
import { signIn } from '../helpers/client.js';
import { isProtocolError } from '../../protocol/errors.js';
import {
  hashPassword,
  parsePasswordRecord,
  verifyPassword,
  standInRecord,
} from '../../mail-server/passwords.js';

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
    }
    // The server's key as the specification has it; each user's encrypted under their password.
    expect(readFileSync(join(out, 'server/server_private.pem'), 'utf8')).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----/,
    );
    for (const [user, password] of [
      ['alice', 'pa'],
      ['bob', 'pb'],
    ] as const) {
      const pem = readFileSync(join(out, user, `${user}_private.pem`), 'utf8');
      expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      expect(() => createPrivateKey({ key: pem, passphrase: 'wrong' })).toThrow();
      expect(createPrivateKey({ key: pem, passphrase: password }).asymmetricKeyType).toBe('rsa');
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

  it("gives every user a keyring with every user's public key, 0644 in a 0700 folder, whatever the umask", async () => {
    const out = tempDir();
    const users = ['alice', 'bob', 'carol'];
    // The tightest umask: public keys must still come out readable by all.
    const run = new Spawned('sh', [
      '-c',
      'umask 077 && exec node "$0" "$@"',
      distPath('scripts/keygen.js'),
      '--out',
      out,
      '--users',
      users.join(','),
    ]);
    expect((await run.exited).code).toBe(0);
    const modeOf = (path: string): number => statSync(path).mode & 0o777;
    for (const user of users) {
      const keyring = join(out, user, 'keyring');
      expect(modeOf(keyring)).toBe(0o700);
      expect(readdirSync(keyring).sort()).toEqual(users.map((name) => `${name}_public.pem`));
      for (const name of users) {
        const file = join(keyring, `${name}_public.pem`);
        expect(modeOf(file)).toBe(0o644);
        const publicPem = createPublicKey(
          createPrivateKey({
            key: readFileSync(join(out, name, `${name}_private.pem`), 'utf8'),
            passphrase: `password${users.indexOf(name) + 1}`,
          }),
        ).export({ type: 'spki', format: 'pem' });
        expect(readFileSync(file, 'utf8')).toBe(publicPem);
        expect(readFileSync(join(out, 'server', `${name}_public.pem`), 'utf8')).toBe(publicPem);
      }
      expect(modeOf(join(out, user, `${user}_private.pem`))).toBe(0o600);
      expect(modeOf(join(out, user, 'server_public.pem'))).toBe(0o644);
    }
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
    // A record that would make every login cost minutes or gigabytes is refused at load.
    const salt = Buffer.alloc(16).toString('base64');
    const hash = Buffer.alloc(32).toString('base64');
    for (const [n, r, p] of [
      [2 ** 30, 8, 1],
      [2 ** 20, 64, 1],
      [2 ** 14, 8, 1000],
      [2 ** 20, 16, 2],
    ])
      expect(() => parsePasswordRecord(`scrypt$${n}$${r}$${p}$${salt}$${hash}`)).toThrow(
        /scrypt hash parameters too large/,
      );
    expect(parsePasswordRecord(`scrypt$${2 ** 16}$8$1$${salt}$${hash}`)).toMatchObject({
      kind: 'scrypt',
    });
  });
});

describe('key generator on an existing site', () => {
  it('adds users to it: the server key, the other users and their passwords stay', async () => {
    const out = tempDir();
    expect((await runNode('scripts/keygen.js', ['--out', out, '--users', 'alice,bob'])).code).toBe(
      0,
    );
    const serverPrivate = readFileSync(join(out, 'server', 'server_private.pem'), 'utf8');
    const alicePrivate = readFileSync(join(out, 'alice', 'alice_private.pem'), 'utf8');
    const added = await runNode('scripts/keygen.js', [
      '--out',
      out,
      '--users',
      'dave',
      '--passwords',
      'pd',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(readFileSync(join(out, 'server', 'server_private.pem'), 'utf8')).toBe(serverPrivate);
    expect(readFileSync(join(out, 'alice', 'alice_private.pem'), 'utf8')).toBe(alicePrivate);
    expect(JSON.parse(readFileSync(join(out, 'server', 'user_pass.json'), 'utf8'))).toEqual({
      alice: 'password1',
      bob: 'password2',
      dave: 'pd',
    });
    expect(readdirSync(join(out, 'dave', 'keyring')).sort()).toEqual([
      'alice_public.pem',
      'bob_public.pem',
      'dave_public.pem',
    ]);
    expect(readFileSync(join(out, 'dave', 'server_public.pem'), 'utf8')).toBe(
      readFileSync(join(out, 'server', 'server_public.pem'), 'utf8'),
    );
    // A user already there is not replaced without --force, and the message says what to run.
    const again = await runNode('scripts/keygen.js', ['--out', out, '--users', 'dave']);
    expect(again.code).toBe(2);
  });
});
