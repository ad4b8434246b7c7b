/**
 * `admin server-key rotate|status|finish` on a running site, against real server processes:
 * clients holding the old server key keep working through the window (classic: the server
 * decrypts with the old key too; enhanced: the handshake is signed by the key the client
 * names, and the client learns the new key, signed by the old one), and not after it. A key
 * handed over without the old key's signature is refused, and the stored key is unchanged.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { parsePrivateKey, parsePublicKey } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { serverHandshake } from '../../protocol/enhanced/handshake.js';
import { encodeServerKeyUpdate } from '../../protocol/enhanced/messages.js';
import { pssSign, serverKeyUpdateSignedContent } from '../../protocol/enhanced/transcript.js';
import { FramedSocket } from '../../protocol/framing.js';
import { encodeUtf8 } from '../../protocol/utf8.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

const USERS = ['client1', 'client2'];
const ENHANCED = 'mail-server/main-enhanced.js';

let keys: { dir: string; cleanup: () => void };
let scratch: string;
const servers: RunningServer[] = [];
const fakes: Server[] = [];

const home = (): string => serverHome(keys.dir);
const admin = (args: string[], input = '') =>
  runNode('scripts/admin.js', ['--home', home(), ...args], { input });

const homeKey = (name: string): string => readFileSync(join(home(), name), 'utf8');
const fingerprintOf = (file: string): string =>
  keyFingerprint(parsePublicKey(readFileSync(file), file));

/** A copy of a user's machine as it was (its bundle), in the scratch folder. */
function copyBundle(user: string, name: string): string {
  const copy = join(scratch, name);
  cpSync(join(keys.dir, user), copy, { recursive: true });
  return copy;
}

/** One session with the client library, ended at once; its client for inspection. */
async function session(port: number, bundle: string, user: string, channel: ChannelKind) {
  const password = `password${user.replace(/\D/g, '')}`;
  const clientKeys = loadClientKeys(bundle, user, { passphrase: password });
  const client = await openSession({
    host: '127.0.0.1',
    port,
    credentials: { username: user, password },
    keys: clientKeys,
    channel,
    replyTimeoutMs: 20_000,
  });
  await client.terminate();
  return { client, clientKeys };
}

/** The ProtocolError code a session fails with ('none' when it succeeds). */
async function failure(
  port: number,
  bundle: string,
  user: string,
  channel: ChannelKind,
): Promise<string> {
  try {
    await session(port, bundle, user, channel);
    return 'none';
  } catch (error) {
    if (isProtocolError(error)) return error.code;
    throw error;
  }
}

async function startBoth(): Promise<{ classic: RunningServer; enhanced: RunningServer }> {
  const classic = await startMailServer(home());
  servers.push(classic);
  const enhanced = await startMailServer(home(), [], ENHANCED);
  servers.push(enhanced);
  return { classic, enhanced };
}

beforeEach(async () => {
  keys = await makeKeySetup(USERS);
  scratch = mkdtempSync(join(tmpdir(), 'sealed-mail-rotate-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  for (const fake of fakes.splice(0)) fake.close();
  keys.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('admin server-key rotate on a running site', () => {
  it('classic: an old bundle logs in during the window and is refused after finish; a new bundle logs in', async () => {
    const { classic } = await startBoth();
    const oldBundle = copyBundle('client1', 'client1-old');
    const oldPublic = homeKey('server_public.pem');

    const rotated = await admin(['server-key', 'rotate', '--window-days', '7']);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    // Both running servers were told (SIGHUP) and reported their reload.
    expect(rotated.stdout).toMatch(/The classic server \(pid \d+\) reloaded/);
    expect(rotated.stdout).toMatch(/The enhanced server \(pid \d+\) reloaded/);
    expect(rotated.stdout).toContain('keys USER');
    expect(homeKey('server_public.pem')).not.toBe(oldPublic);
    expect(homeKey('server_previous_private.pem')).toContain('PRIVATE KEY');

    const status = await admin(['server-key', 'status']);
    expect(status.stdout).toContain(
      `Current server key: ${fingerprintOf(join(home(), 'server_public.pem'))}`,
    );
    expect(status.stdout).toMatch(
      new RegExp(
        `Previous server key: ${fingerprintOf(join(oldBundle, 'server_public.pem')).replace(/[+/]/g, '\\$&')}, accepted until \\d{4}-`,
      ),
    );

    // A second rotation while the window is open is refused, and changes nothing.
    const again = await admin(['server-key', 'rotate']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a key rotation is under way');
    expect(again.stderr).toContain('--force');

    // The old bundle still logs in; nothing on the classic wire changed.
    expect(await failure(classic.port, oldBundle, 'client1', 'classic')).toBe('none');

    // A new bundle (admin keys) holds the new server key and logs in.
    const newBundle = join(scratch, 'client2-new');
    const issued = await admin(['keys', 'client2', '--bundle', newBundle], 'password2\n');
    expect(issued.code).toBe(0);
    expect(readFileSync(join(newBundle, 'server_public.pem'), 'utf8')).toBe(
      homeKey('server_public.pem'),
    );
    expect(await failure(classic.port, newBundle, 'client2', 'classic')).toBe('none');

    const finished = await admin(['server-key', 'finish']);
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('is no longer accepted');
    expect(finished.stdout).toMatch(/The classic server \(pid \d+\) reloaded/);
    expect((await admin(['server-key', 'status'])).stdout).toContain('No rotation under way');

    // After the window the old bundle's login cannot be opened: refused, as the server says.
    const since = classic.process.stderrLines.length;
    expect(await failure(classic.port, oldBundle, 'client1', 'classic')).toBe('LOGIN_REJECTED');
    expect(
      classic.process.records('login blob could not be decrypted', {}, since),
    ).not.toHaveLength(0);
    expect(await failure(classic.port, newBundle, 'client2', 'classic')).toBe('none');
  });

  it('enhanced: a client holding the old key completes a session, ends up holding the new key, and its next session verifies with it', async () => {
    const { enhanced } = await startBoth();
    const bundle = join(keys.dir, 'client1');
    const serverFile = join(bundle, 'server_public.pem');
    const oldFingerprint = fingerprintOf(serverFile);
    expect((await admin(['server-key', 'rotate'])).code).toBe(0);
    const newFingerprint = fingerprintOf(join(home(), 'server_public.pem'));
    expect(newFingerprint).not.toBe(oldFingerprint);

    const first = await session(enhanced.port, bundle, 'client1', 'enhanced');
    // Verified with the key it held, then handed the new one, signed by the old.
    expect(first.client.serverFingerprint).toBe(oldFingerprint);
    expect(first.client.serverKeyAdopted).toMatchObject({
      fingerprint: newFingerprint,
      replacedFingerprint: oldFingerprint,
      file: serverFile,
    });
    expect(readFileSync(serverFile, 'utf8')).toBe(homeKey('server_public.pem'));
    expect(keyFingerprint(first.clientKeys.serverPublicKey)).toBe(newFingerprint);
    // The server logs who was handed the new key: the rotation's progress, for the administrator.
    await enhanced.process.waitForRecord('new server key handed over', { user: 'client1' });

    // The next session, from the files alone, verifies with the new key: nothing to hand over.
    const second = await session(enhanced.port, bundle, 'client1', 'enhanced');
    expect(second.client.serverFingerprint).toBe(newFingerprint);
    expect(second.client.serverKeyAdopted).toBeUndefined();

    // The terminal client tells its user once, in plain words.
    const terminalBundle = copyBundle('client2', 'client2-terminal');
    const told = await terminalSession(enhanced.port, terminalBundle);
    expect(told).toContain(
      `The server's key was replaced by its administrator: this computer now holds the new key (${newFingerprint}) in ${join(terminalBundle, 'server_public.pem')}`,
    );
    expect(await terminalSession(enhanced.port, terminalBundle)).not.toContain(
      "The server's key was replaced",
    );
  });

  it('a window that has ended refuses the previous key, on both channels, after a reload', async () => {
    const { classic, enhanced } = await startBoth();
    const oldBundle = copyBundle('client1', 'client1-old');
    expect((await admin(['server-key', 'rotate'])).code).toBe(0);
    expect(await failure(classic.port, oldBundle, 'client1', 'classic')).toBe('none');

    // The window's end moved into the past (as time would), then a reload.
    const windowFile = join(home(), 'server_previous.json');
    const window = JSON.parse(readFileSync(windowFile, 'utf8')) as Record<string, string>;
    writeFileSync(windowFile, JSON.stringify({ ...window, until: '2020-01-01T00:00:00.000Z' }));
    const reloaded = await admin(['reload']);
    expect(reloaded.stdout).toMatch(/The enhanced server \(pid \d+\) reloaded/);
    expect((await admin(['server-key', 'status'])).stdout).toContain('no longer accepted since');

    expect(await failure(classic.port, oldBundle, 'client1', 'classic')).toBe('LOGIN_REJECTED');
    // The enhanced server signs with its current key: the old key cannot verify it.
    expect(await failure(enhanced.port, oldBundle, 'client1', 'enhanced')).toBe('HANDSHAKE_FAILED');
    expect(readFileSync(join(oldBundle, 'server_public.pem'), 'utf8')).toBe(
      readFileSync(join(keys.dir, 'client2', 'server_public.pem'), 'utf8'),
    );

    // A restart reads the same: the previous key is not loaded.
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    const restarted = await startBoth();
    expect(await failure(restarted.classic.port, oldBundle, 'client1', 'classic')).toBe(
      'LOGIN_REJECTED',
    );
  });
});

/** Runs the terminal client over the enhanced protocol: list, then quit; its output. */
async function terminalSession(port: number, bundle: string): Promise<string> {
  const client = new Spawned(
    'node',
    [
      distPath('gateway/terminal/main.js'),
      '--protocol',
      'enhanced',
      '--keys',
      bundle,
      '--server',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    { input: 'client2\npassword2\n2\n4\n' },
  );
  const { code } = await client.exited;
  expect(client.stderrLines.join('\n')).toBe('');
  expect(code).toBe(0);
  return client.stdout;
}

/**
 * A fake server on loopback that signs its handshake with `handshakeKey` and answers the
 * login with "OK" and a key update made by `update`.
 */
async function fakeServer(
  handshakeKey: KeyObject,
  update: (transcriptHash: Buffer) => Buffer,
): Promise<number> {
  const fake = createServer((socket) => {
    const framed = new FramedSocket(socket, { idleTimeoutMs: 10_000 });
    void (async () => {
      const { channel, transcriptHash } = await serverHandshake(framed, handshakeKey);
      await channel.receiveBytes();
      await channel.sendBytes(Buffer.concat([encodeUtf8('OK'), update(transcriptHash)]));
      await channel.send('menu');
      // Until the client's close record (which throws).
      for (;;) await channel.receiveBytes();
    })().catch(() => {
      framed.destroy();
    });
  });
  fakes.push(fake);
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  return (fake.address() as AddressInfo).port;
}

/** An update of `newKey` signed by `signer` over `transcriptHash`. */
function signedUpdate(newKey: KeyObject, signer: KeyObject, transcriptHash: Buffer): Buffer {
  const publicKeyDer = newKey.export({ type: 'spki', format: 'der' });
  const untilMs = Date.now() + 86_400_000;
  const signature = pssSign(
    signer,
    serverKeyUpdateSignedContent(transcriptHash, publicKeyDer, untilMs),
  );
  return encodeServerKeyUpdate({ publicKeyDer, untilMs, signature });
}

describe('a new server key not signed by the key the client holds', () => {
  const attacker = testRsaKeyPair('attacker');

  it('is refused, and server_public.pem is unchanged', async () => {
    const bundle = join(keys.dir, 'client1');
    const serverFile = join(bundle, 'server_public.pem');
    const before = readFileSync(serverFile, 'utf8');
    const serverKey = parsePrivateKey(homeKey('server_private.pem'));

    // An impersonator: its own key signs both the handshake and the update.
    const impostor = await fakeServer(attacker.privateKey, (hash) =>
      signedUpdate(attacker.publicKey, attacker.privateKey, hash),
    );
    expect(await failure(impostor, bundle, 'client1', 'enhanced')).toBe('HANDSHAKE_FAILED');

    // The real key signs the handshake, but the update is signed by the key it offers.
    const selfSigned = await fakeServer(serverKey, (hash) =>
      signedUpdate(attacker.publicKey, attacker.privateKey, hash),
    );
    expect(await failure(selfSigned, bundle, 'client1', 'enhanced')).toBe('HANDSHAKE_FAILED');

    // Signed by the real key, but for another session (a replayed update).
    const replayed = await fakeServer(serverKey, () =>
      signedUpdate(attacker.publicKey, serverKey, randomBytes(32)),
    );
    expect(await failure(replayed, bundle, 'client1', 'enhanced')).toBe('HANDSHAKE_FAILED');

    // A tampered update: one byte of the offered key changed after signing.
    const tampered = await fakeServer(serverKey, (hash) => {
      const update = signedUpdate(attacker.publicKey, serverKey, hash);
      update[40] = (update[40] ?? 0) ^ 0x01;
      return update;
    });
    expect(await failure(tampered, bundle, 'client1', 'enhanced')).toBe('HANDSHAKE_FAILED');

    expect(readFileSync(serverFile, 'utf8')).toBe(before);

    // The control: the same fake server with the update properly signed is believed.
    const genuine = await fakeServer(serverKey, (hash) =>
      signedUpdate(attacker.publicKey, serverKey, hash),
    );
    expect(await failure(genuine, bundle, 'client1', 'enhanced')).toBe('none');
    expect(fingerprintOf(serverFile)).toBe(keyFingerprint(attacker.publicKey));
  });
});
