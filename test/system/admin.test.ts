/**
 * Running a site for a term with `npm run admin`, against a real server process: a user added
 * while others are logged in (they go on; the server key stays), a password changed and used at
 * once without a restart, a locked user unlocked, and a broken user_pass.json refused at reload
 * (the users before it stay). The command waits for each server's report of its reload, so the
 * tests wait on that answer, never on a sleep or a log line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { isProtocolError } from '../../protocol/errors.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;

/** What a login with these credentials and this key folder's keys gets: accepted or refused. */
async function login(
  keysDir: string,
  username: string,
  password: string,
  passphrase: string,
): Promise<'accepted' | 'refused'> {
  try {
    const client = await openSession({
      host: '127.0.0.1',
      port: server.port,
      credentials: { username, password },
      keys: loadClientKeys(keysDir, username, { passphrase }),
      replyTimeoutMs: 20_000,
    });
    await client.terminate();
    return 'accepted';
  } catch (error) {
    if (isProtocolError(error, 'LOGIN_REJECTED')) return 'refused';
    throw error;
  }
}

const admin = (args: string[], input = '') =>
  runNode('scripts/admin.js', ['--home', serverHome(keys.dir), ...args], { input });

beforeEach(async () => {
  keys = await makeKeySetup();
});
afterEach(async () => {
  await server.stop();
  keys.cleanup();
});

describe('npm run admin on a running site', () => {
  it('adds a user while another is logged in: the new one logs in at once, the other goes on, the server key stays', async () => {
    const home = serverHome(keys.dir);
    server = await startMailServer(home);
    const serverKey = readFileSync(join(home, 'server_public.pem'), 'utf8');
    const client1 = await signIn(server.port, keys.dir, 'client1');

    const added = await admin(['users', 'add', 'dave'], 'dave-pass\n');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added dave.');
    expect(added.stdout).toMatch(/The classic server \(pid \d+\) reloaded: 6 users\./);

    // dave's machine: the bundle beside the home, his key encrypted under his password.
    const daveKeys = join(keys.dir, 'dave');
    expect(readFileSync(join(daveKeys, 'dave_private.pem'), 'utf8')).toMatch(
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----/,
    );
    expect(readFileSync(join(daveKeys, 'server_public.pem'), 'utf8')).toBe(serverKey);
    const dave = await openSession({
      host: '127.0.0.1',
      port: server.port,
      credentials: { username: 'dave', password: 'dave-pass' },
      keys: loadClientKeys(daveKeys, 'dave', { passphrase: 'dave-pass' }),
    });
    await dave.send({ to: ['client1'], title: 'Hello from dave', content: 'New here.' });
    await dave.terminate();

    // client1's session, open all along, goes on and sees dave's email.
    const listing = await client1.listInbox();
    expect(listing.rows.map((row) => [row.from, row.title])).toContainEqual([
      'dave',
      'Hello from dave',
    ]);
    await client1.terminate();
    expect(readFileSync(join(home, 'server_public.pem'), 'utf8')).toBe(serverKey);

    // A look-alike of an existing user is refused, and nothing is written.
    const lookalike = await admin(['users', 'add', 'cIient1'], 'x\n');
    expect(lookalike.code).toBe(1);
    expect(lookalike.stderr).toContain('"cIient1" looks like "client1"');
    expect(JSON.parse(readFileSync(join(home, 'user_pass.json'), 'utf8'))).not.toHaveProperty(
      'cIient1',
    );
  });

  it('changes a password and re-encrypts the key: the new one works at once, the old one no longer', async () => {
    server = await startMailServer(serverHome(keys.dir));
    const keyFile = join(keys.dir, 'client2', 'client2_private.pem');
    const changed = await admin(['passwd', 'client2', '--key', keyFile], 'password2\nnew-pass-2\n');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain(`Set the password of client2 and re-encrypted ${keyFile}.`);
    expect(changed.stdout).toMatch(/reloaded: 5 users\./);
    const machine = join(keys.dir, 'client2');
    await expect(login(machine, 'client2', 'new-pass-2', 'new-pass-2')).resolves.toBe('accepted');
    // The old password no longer unlocks the key, nor logs in (the key unlocked for the test).
    expect(() => loadClientKeys(machine, 'client2', { passphrase: 'password2' })).toThrow(
      /does not unlock/,
    );
    await expect(login(machine, 'client2', 'password2', 'new-pass-2')).resolves.toBe('refused');
  });

  it('unlocks a user locked by guesses, on the running server', async () => {
    const home = serverHome(keys.dir);
    // client4 locked for an hour from this address and as a user: written before the start.
    const now = Date.now();
    const locked = { failures: 40, lockedUntil: now + 3_600_000, lastFailure: now };
    writeFileSync(
      join(home, 'login-throttle.classic.json'),
      `${JSON.stringify({
        entries: { 'ua:client4@127.0.0.1': locked, 'u:client4': locked },
        knownDevices: {},
      })}\n`,
      { mode: 0o600 },
    );
    server = await startMailServer(home);
    const machine = join(keys.dir, 'client4');
    await expect(login(machine, 'client4', 'password4', 'password4')).resolves.toBe('refused');
    const unlocked = await admin(['unlock', 'client4']);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain('Asked the running servers to lift the locks on client4.');
    expect(unlocked.stdout).toMatch(/reloaded: 5 users\./);
    await expect(login(machine, 'client4', 'password4', 'password4')).resolves.toBe('accepted');
  });

  it('refuses a broken user_pass.json at reload, keeping the users it had', async () => {
    const home = serverHome(keys.dir);
    server = await startMailServer(home);
    const file = join(home, 'user_pass.json');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{"client1": ');
    const reload = await admin(['reload']);
    expect(reload.code).toBe(1);
    expect(reload.stdout).toMatch(
      /The classic server \(pid \d+\) refused the new file and keeps the users it had: .*user_pass\.json: is not valid JSON/,
    );
    writeFileSync(file, good);
    await expect(
      login(join(keys.dir, 'client5'), 'client5', 'password5', 'password5'),
    ).resolves.toBe('accepted');
  });
});
