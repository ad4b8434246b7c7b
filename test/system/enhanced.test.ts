/**
 * The enhanced server and client as processes over real sockets: the same session as the
 * classic protocol, the lines that show what was verified, refusals, and no downgrade.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession } from '../../gateway/protocol-client/session.js';
import { parsePublicKey } from '../../protocol/crypto.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { isProtocolError } from '../../protocol/errors.js';
import { signIn } from '../helpers/client.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { distPath, Spawned } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const ENHANCED = 'mail-server/main-enhanced.js';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  extraArgs: string[] = [],
  script = ENHANCED,
): Promise<{ dir: string; server: RunningServer }> {
  const keys = await makeKeySetup();
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), extraArgs, script);
  cleanups.push(server.stop);
  return { dir: keys.dir, server };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

const serverFingerprint = (dir: string): string =>
  keyFingerprint(parsePublicKey(readFileSync(join(serverHome(dir), 'server_public.pem'))));

describe('enhanced protocol, end to end', () => {
  it('runs the same session as the classic protocol and prints what it verified', async () => {
    const { dir, server } = await setup();
    const sender = await signIn(server.port, dir, 'client1', undefined, 'enhanced');
    expect(sender.serverFingerprint).toBe(serverFingerprint(dir));
    await sender.send({
      to: ['client2', 'client4'],
      title: 'Enhanced',
      content: 'Sealed in AES-256-GCM.',
    });
    await sender.terminate();

    const reader = await signIn(server.port, dir, 'client2', undefined, 'enhanced');
    const listing = await reader.listInbox();
    expect(listing.rows.map((row) => row.title)).toEqual(['Enhanced']);
    const read = await reader.read(1);
    expect(read.kind === 'email' && read.email?.content).toBe('Sealed in AES-256-GCM.');
    await reader.terminate();
    expect(readFileSync(join(inboxOf(dir, 'client4'), 'client1_Enhanced.txt'), 'utf8')).toContain(
      'Sealed in AES-256-GCM.',
    );

    await server.process.waitForLine(
      (line) => line.startsWith('Session with client2:'),
      5000,
      'stdout',
    );
    const lines = server.lines();
    expect(lines).toContain(
      `Enhanced protocol: signing handshakes with server key ${serverFingerprint(dir)}`,
    );
    expect(lines).toContain('Connection Accepted and Symmetric Key Generated for client: client1');
    expect(lines).toContain(
      'An email from client1 is sent to client2;client4 has a content length of 22 .',
    );
    expect(lines).toContain('Terminating connection with client1.');
    expect(lines.filter((line) => line.startsWith('Handshake with 127.0.0.1:'))).toHaveLength(2);
    expect(
      lines.some((line) =>
        line.startsWith(
          'Client client1 verified: transcript signature checks with client1_public.pem',
        ),
      ),
    ).toBe(true);
    // From client1: credentials, "1", the send id (session version 5), the email, "4". To it:
    // OK, 2 menus, "Send the email", the delivery report, the close record.
    expect(lines).toContain(
      'Session with client1: 5 records received and 6 records sent, every one authenticated (AES-256-GCM)',
    );
  });

  it('the terminal client with --protocol enhanced prints the verified server identity', async () => {
    const { dir, server } = await setup();
    const client = new Spawned(
      'node',
      [
        distPath('gateway/terminal/main.js'),
        '--protocol',
        'enhanced',
        '--keys',
        join(dir, 'client1'),
        '--server',
        '127.0.0.1',
        '--port',
        String(server.port),
      ],
      { input: 'client1\npassword1\n2\n4\n' },
    );
    expect((await client.exited).code).toBe(0);
    expect(client.stdout).toContain(
      `Server identity verified: the handshake is signed by the key of server_public.pem (${serverFingerprint(dir)})`,
    );
    expect(client.stdout).toContain('Your inbox is empty.');
    expect(client.stdout).toContain('The connection is terminated with the server.');
    // Sent: credentials, "9" (session version 4 lists by its changes), the changes request,
    // "OK", "4", the close record. Received: the login answer, 2 menus, the changes.
    expect(client.stdout).toContain(
      '6 records sent and 4 records received, every one authenticated',
    );
  });
});

describe('enhanced login refusals', () => {
  it('gives a wrong password, an unknown user and a wrong private key the same refusal', async () => {
    const { dir, server } = await setup();
    const wrongPassword = await errorOf(
      signIn(server.port, dir, 'client1', 'password2', 'enhanced'),
    );
    const unknownUser = await errorOf(
      openSession({
        host: '127.0.0.1',
        port: server.port,
        credentials: { username: 'mallory', password: 'password1' },
        keys: setupKeys(dir, 'client1'),
        channel: 'enhanced',
      }),
    );
    // client2's password, but the private key of client1: the signature does not check.
    const client1Keys = setupKeys(dir, 'client1');
    const wrongKey = await errorOf(
      openSession({
        host: '127.0.0.1',
        port: server.port,
        credentials: { username: 'client2', password: 'password2' },
        keys: client1Keys,
        channel: 'enhanced',
      }),
    );
    for (const error of [wrongPassword, unknownUser, wrongKey]) {
      expect(isProtocolError(error, 'LOGIN_REJECTED')).toBe(true);
      expect((error as Error).message).toBe('Invalid username or password');
    }
    await server.process.waitForLine((line) => line.includes('client2 is invalid'), 5000, 'stdout');
    expect(server.lines()).toContain(
      'The received client information: mallory is invalid (Connection Terminated).',
    );
  });

  it('refuses a server whose key is not server_public.pem, before sending any credential', async () => {
    const { dir, server } = await setup();
    const other = await makeKeySetup(['someone']);
    cleanups.push(other.cleanup);
    const keys = {
      ...setupKeys(dir, 'client1'),
      serverPublicKey: parsePublicKey(
        readFileSync(join(serverHome(other.dir), 'server_public.pem')),
      ),
    };
    const error = await errorOf(
      openSession({
        host: '127.0.0.1',
        port: server.port,
        credentials: { username: 'client1', password: 'password1' },
        keys,
        channel: 'enhanced',
      }),
    );
    expect(isProtocolError(error, 'HANDSHAKE_FAILED')).toBe(true);
    await server.process.waitForRecord('session ended', {}, { timeoutMs: 5000 });
    expect(server.lines().some((line) => line.includes('client1'))).toBe(false);
  });

  it('shares the login throttle between session processes (a fresh process per client)', async () => {
    // Enough spare processes for every attempt, so that no attempt waits for one to start and
    // the right password arrives well within the first 1 s lock.
    const { dir, server } = await setup(['--max-use', '1', '--spare', '8']);
    for (let i = 0; i < 4; i++) {
      expect(
        isProtocolError(
          await errorOf(signIn(server.port, dir, 'client3', `guess${i}`, 'enhanced')),
          'LOGIN_REJECTED',
        ),
      ).toBe(true);
    }
    // The right password, at once: the user is locked, and the answer is the same refusal.
    expect(
      isProtocolError(
        await errorOf(signIn(server.port, dir, 'client3', 'password3', 'enhanced')),
        'LOGIN_REJECTED',
      ),
    ).toBe(true);
    // Another user from the same address is not locked.
    const other = await signIn(server.port, dir, 'client4', undefined, 'enhanced');
    await other.terminate();
  });
});

describe('no downgrade', () => {
  it('the classic client cannot log in to the enhanced server', async () => {
    const { dir, server } = await setup();
    const error = await errorOf(signIn(server.port, dir, 'client1', undefined, 'classic'));
    expect(isProtocolError(error)).toBe(true);
    // The classic login is RSA ciphertext: its first byte is the ClientHello's type (1) about
    // one time in 200, and then the server reads on and says what is wrong with the version or
    // the length instead of "expected a ClientHello". Either way the handshake failed.
    await server.process.waitForLine(
      (line) => /^Handshake with .* failed: (expected a ClientHello|ClientHello of )/.test(line),
      5000,
      'stdout',
    );
    expect(server.lines().some((line) => line.includes('client1'))).toBe(false);
  });

  it('the enhanced client refuses a classic server', async () => {
    const { dir, server } = await setup([], 'mail-server/main.js');
    const error = await errorOf(signIn(server.port, dir, 'client1', undefined, 'enhanced'));
    expect(isProtocolError(error, 'HANDSHAKE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/classic server/);
  });
});
