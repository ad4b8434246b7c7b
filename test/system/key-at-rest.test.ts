/**
 * The private key at rest: a server's word never unlocks it. A fake classic server that holds
 * only client1's public key would accept any password; the terminal client unlocks the key with
 * what was typed before it connects, so a wrong password never reaches any server. Plain keys
 * still work, with a warning and a command that encrypts them; keys others can read are refused.
 */
import { createPublicKey } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeClassicServer, type FakeClassicServer } from '../helpers/fake-classic-server.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { Keyring, PIN_FILE } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder } from '../../gateway/protocol-client/keys.js';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { MENU } from '../../protocol/operations/menu.js';

const LOGIN = 'Enter the server IP or name: Enter your username: Enter your password: ';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;
let fake: FakeClassicServer;

beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
  server = await startMailServer(serverHome(keys.dir));
  fake = await startFakeClassicServer(
    createPublicKey(readFileSync(join(serverHome(keys.dir), 'client1_public.pem'))),
  );
});
afterAll(async () => {
  await fake.stop();
  await server.stop();
  keys.cleanup();
});

function client(
  user: string,
  port: number,
  lines: string[],
): Promise<{ code: number | null; stdout: string }> {
  return runNode('gateway/terminal/main.js', ['--port', String(port)], {
    cwd: join(keys.dir, user),
    input: `${lines.join('\n')}\n`,
  });
}

describe('the private key at rest', () => {
  it('a wrong password fails on this machine: the fake server that accepts anyone gets not even a connection', async () => {
    const run = await client('client1', fake.port, ['127.0.0.1', 'client1', 'anything', '2', '4']);
    expect(run.stdout).toBe(
      `${LOGIN}Invalid username or password: it does not unlock client1's private key on this computer (nothing was sent to the server).\nTerminating.\n`,
    );
    expect(run.code).toBe(1);
    expect(fake.connections).toBe(0);
    expect(fake.logins).toBe(0);
  });

  it('the right password unlocks it and the sample session runs as before', async () => {
    const run = await client('client1', server.port, ['127.0.0.1', 'client1', 'password1', '4']);
    expect(run.stdout).toBe(`${LOGIN}${MENU}The connection is terminated with the server.\n`);
    expect(run.code).toBe(0);
  });

  it('refuses a private key that other users can read, saying what to run', async () => {
    const file = join(keys.dir, 'client2', 'client2_private.pem');
    chmodSync(file, 0o644);
    try {
      const run = await client('client2', server.port, ['127.0.0.1', 'client2', 'password2', '4']);
      expect(run.stdout).toContain(`can be read by other users (mode 0644); run: chmod 600 `);
      expect(run.stdout).not.toContain(MENU);
      expect(run.code).toBe(1);
    } finally {
      chmodSync(file, 0o600);
    }
  });
});

describe('plain keys: still working, warned, and encrypted in place by npm run encrypt-key', () => {
  let plain: { dir: string; cleanup: () => void };
  let plainServer: RunningServer;

  beforeAll(async () => {
    plain = await makeKeySetup(['client1', 'client2'], { plainKeys: true });
    plainServer = await startMailServer(serverHome(plain.dir));
  });
  afterAll(async () => {
    await plainServer.stop();
    plain.cleanup();
  });

  const plainClient = (lines: string[]) =>
    runNode('gateway/terminal/main.js', ['--port', String(plainServer.port)], {
      cwd: join(plain.dir, 'client1'),
      input: `${lines.join('\n')}\n`,
    });

  it('keygen --plain-keys writes the specification PEM; the client warns and works', async () => {
    const file = join(plain.dir, 'client1', 'client1_private.pem');
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const run = await plainClient(['127.0.0.1', 'client1', 'password1', '4']);
    expect(run.stdout).toContain(
      `Warning: ${file} is not encrypted: anyone who can read the file can use your key. Encrypt it with your password: npm run encrypt-key -- ${file}`,
    );
    expect(run.stdout).toContain(MENU);
    expect(run.code).toBe(0);
  });

  it('encrypt-key encrypts it in place; then only the password unlocks it', async () => {
    const file = join(plain.dir, 'client1', 'client1_private.pem');
    const encrypt = await runNode('scripts/encrypt-key.js', [file], { input: 'password1\n' });
    expect(encrypt.code).toBe(0);
    expect(encrypt.stdout).toContain(`${file} is now encrypted`);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);

    const right = await plainClient(['127.0.0.1', 'client1', 'password1', '4']);
    expect(right.stdout).toBe(`${LOGIN}${MENU}The connection is terminated with the server.\n`);
    const wrong = await plainClient(['127.0.0.1', 'client1', 'password2', '4']);
    expect(wrong.stdout).toContain("it does not unlock client1's private key on this computer");
    expect(wrong.code).toBe(1);

    const again = await runNode('scripts/encrypt-key.js', [file], { input: 'other\n' });
    expect(again.stdout).toContain('is already encrypted; nothing was changed');
  });
});

describe('npm run keyring: the sealed pins, opened with the password', () => {
  it('lists and forgets pins after the password unlocked the key; a wrong one opens nothing', async () => {
    const user = 'client1';
    const folder = keyringFolder(join(keys.dir, user), user);
    const seal = new LocalSeal(setupKeys(keys.dir, user).privateKey(), user);
    const keyring = new Keyring(folder, seal);
    const client2 = keyring.find('client2');
    keyring.find('client1');
    expect(readFileSync(join(folder, PIN_FILE), 'utf8')).not.toContain('client2');

    const keyringCommand = (args: string[], password: string) =>
      runNode('scripts/keyring.js', args, {
        cwd: join(keys.dir, user),
        input: `${user}\n${password}\n`,
      });
    const listed = await keyringCommand(['list'], 'password1');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`client2 ${client2?.fingerprint ?? '?'}`);
    expect(listed.stdout).toContain('client1 SHA256:');

    const wrong = await keyringCommand(['forget', 'client2'], 'password2');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("the password does not unlock client1's private key");

    const forgot = await keyringCommand(['forget', 'client2'], 'password1');
    expect(forgot.stdout).toContain('Forgot the pin of client2');
    expect([...new Keyring(folder, seal).pinned().keys()]).toEqual(['client1']);
  });
});
