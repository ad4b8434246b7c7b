import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { makeKeySetup, inboxOf, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { rawSession, signIn } from '../helpers/client.js';
import { encodeFrameHeader } from '../../protocol/framing.js';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { formatEmail } from '../../protocol/email.js';
import { isProtocolError } from '../../protocol/errors.js';
import { MENU } from '../../protocol/operations/menu.js';
import { SEND_THE_EMAIL } from '../../protocol/texts.js';
import { sessionOf, sessionsNow, waitFor } from '../helpers/server-state.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  keys = await makeKeySetup();
  server = await startMailServer(serverHome(keys.dir), ['--spare', '2']);
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

const inboxFiles = (user: string): string[] => readdirSync(inboxOf(keys.dir, user));

/** The pid of the session child serving a client, as the server lists it for `admin who`. */
async function sessionPid(localPort: number): Promise<number> {
  return (await sessionOf(serverHome(keys.dir), localPort)).pid;
}

describe('mail server, real processes on loopback', () => {
  it('refuses an unknown user and a wrong password with the exact texts', async () => {
    const printed = server.process.stdoutLines.length;
    const client1Keys = join(keys.dir, 'client1');
    for (const [username, password] of [
      ['client10', 'pass10'],
      ['client1', 'wrong'],
    ] as const) {
      const error = await openSession({
        host: '127.0.0.1',
        port: server.port,
        credentials: { username, password },
        keys: loadClientKeys(client1Keys, username, { passphrase: 'password1' }),
      }).catch((e: unknown) => e);
      expect(isProtocolError(error, 'LOGIN_REJECTED')).toBe(true);
      expect((error as Error).message).toBe('Invalid username or password');
    }
    // The specification's console lines, printed after this test began.
    await server.process.waitForLine(
      (line) =>
        line === 'The received client information: client10 is invalid (Connection Terminated).',
      15_000,
      'stdout',
      printed,
    );
    await server.process.waitForLine(
      (line) =>
        line === 'The received client information: client1 is invalid (Connection Terminated).',
      15_000,
      'stdout',
      printed,
    );
  });

  it('logs in, sends to two recipients, lists and reads, and prints the exact server lines', async () => {
    const client1 = await signIn(server.port, keys.dir, 'client1');
    expect(client1.menu).toBe(MENU);
    await client1.send({
      to: ['client2', 'client3'],
      title: 'Hello',
      content: 'Welcome to CMPT 361 class.',
    });
    await client1.terminate();
    for (const user of ['client2', 'client3'])
      expect(inboxFiles(user)).toContain('client1_Hello.txt');

    const client2 = await signIn(server.port, keys.dir, 'client2');
    const listing = await client2.listInbox();
    const row = listing.rows.find((candidate) => candidate.title === 'Hello');
    expect(row).toMatchObject({ from: 'client1' });
    expect(row?.receivedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    const read = await client2.read(row?.index ?? 0);
    expect(read.kind).toBe('email');
    if (read.kind !== 'email') return;
    expect(read.email).toMatchObject({
      from: 'client1',
      to: ['client2', 'client3'],
      title: 'Hello',
      contentLength: 26,
      content: 'Welcome to CMPT 361 class.',
    });
    expect(read.text).toContain(`Time and Date: ${row?.receivedAt ?? ''}\n`);
    await client2.terminate();

    const lines = server.lines();
    expect(lines).toContain('Connection Accepted and Symmetric Key Generated for client: client1');
    expect(lines).toContain(
      'An email from client1 is sent to client2;client3 has a content length of 26 .',
    );
    expect(lines).toContain('Terminating connection with client1.');
    expect(lines).toContain('Terminating connection with client2.');
  });

  it('sends a 1,000,000-character email (emoji) and reads it back whole', async () => {
    const content = '😀'.repeat(500_000) + 'é'.repeat(499_999) + '\n';
    const client4 = await signIn(server.port, keys.dir, 'client4');
    await client4.send({ to: ['client5'], title: 'Big', content });
    await client4.terminate();
    const client5 = await signIn(server.port, keys.dir, 'client5');
    const { rows } = await client5.listInbox();
    const row = rows.find((candidate) => candidate.title === 'Big');
    const read = await client5.read(row?.index ?? 0);
    await client5.terminate();
    expect(read.kind === 'email' && read.email?.content === content).toBe(true);
    expect(read.kind === 'email' && read.email?.contentLength).toBe(1_000_000);
    expect(server.lines()).toContain(
      'An email from client4 is sent to client5 has a content length of 1000000 .',
    );
  });

  it('refuses a 1,000,001-character email in the client before anything is sent', async () => {
    const client = await signIn(server.port, keys.dir, 'client4');
    await expect(
      client.send({ to: ['client5'], title: 'Too big', content: 'x'.repeat(1_000_001) }),
    ).rejects.toThrow(/limit is 1000000/);
    await expect(
      client.send({ to: ['client5'], title: 'x'.repeat(101), content: 'x' }),
    ).rejects.toThrow(/limit is 100/);
    expect((await client.listInbox()).rows).toBeDefined(); // the session goes on
    await client.terminate();
    expect(
      inboxFiles('client5').some((name) => name.includes('Too big') || name.includes('xxxxxxxxxx')),
    ).toBe(false);
  });

  it('serves five clients at once, each in its own process', async () => {
    const users = ['client1', 'client2', 'client3', 'client4', 'client5'];
    const clients = await Promise.all(users.map((user) => signIn(server.port, keys.dir, user)));
    await Promise.all(
      clients.map((client, i) =>
        client.send({
          to: [users[(i + 1) % 5] ?? ''],
          title: `Round ${i}`,
          content: `from ${users[i] ?? ''}`,
        }),
      ),
    );
    const listings = await Promise.all(clients.map((client) => client.listInbox()));
    await Promise.all(clients.map((client) => client.terminate()));
    listings.forEach((listing, i) => {
      const sender = users[(i + 4) % 5];
      expect(
        listing.rows.some((row) => row.from === sender && row.title === `Round ${(i + 4) % 5}`),
      ).toBe(true);
    });
  });

  it('keeps hostile titles in the folder and refuses a forged sender, a lying length and a 101-character title', async () => {
    const { channel } = await rawSession(server.port, keys.dir, 'client1');
    const send = async (text: string): Promise<void> => {
      await channel.send('1');
      expect(await channel.receive()).toBe(SEND_THE_EMAIL);
      await channel.send(text);
      expect(await channel.receive()).toBe(MENU);
    };
    const email = (title: string, extra: Partial<{ from: string; content: string }> = {}): string =>
      formatEmail({
        from: extra.from ?? 'client1',
        to: ['client2'],
        title,
        content: extra.content ?? 'x',
      });
    await send(email('../../escape'));
    await send(email('a/b'));
    await send(email('\u0001\u0002ctl'));
    await send(email('forged', { from: 'client3' }));
    await send(email('x'.repeat(101)));
    await send(email('lying').replace('Content Length: 1', 'Content Length: 5'));
    await send(
      formatEmail({
        from: 'client1',
        to: ['../../etc', 'nobody', 'client2'],
        title: 'unknowns',
        content: 'y',
      }),
    );
    await channel.send('4');
    await channel.close();
    const files = inboxFiles('client2');
    expect(files).toContain('client1_.._.._escape.txt');
    expect(files).toContain('client1_a_b.txt');
    expect(files).toContain('client1___ctl.txt');
    expect(files).toContain('client1_unknowns.txt');
    expect(
      files.some(
        (name) => name.includes('forged') || name.includes('lying') || name.includes('xxxxx'),
      ),
    ).toBe(false);
    expect(
      readFileSync(join(inboxOf(keys.dir, 'client2'), 'client1_.._.._escape.txt'), 'utf8'),
    ).toContain('Title: ../../escape\n');
    expect(existsSync(join(keys.dir, 'escape.txt'))).toBe(false);
    expect(readdirSync(serverHome(keys.dir)).filter((name) => name.endsWith('.txt'))).toEqual([]);
    await server.process.waitForRecord(
      'email rejected, not stored',
      { problem: 'LENGTH_MISMATCH' },
      { timeoutMs: 5000 },
    );
  });

  it('stores nothing from a client cut off in the middle of an email, and serves the next one', async () => {
    const before = inboxFiles('client3').length;
    const { framed, channel } = await rawSession(server.port, keys.dir, 'client2');
    const { peer } = await sessionOf(serverHome(keys.dir), framed.socket.localPort ?? 0);
    await channel.send('1');
    expect(await channel.receive()).toBe(SEND_THE_EMAIL);
    // Announce a 4 MB frame, send a part of it, and vanish.
    framed.socket.write(encodeFrameHeader(4_000_016));
    await new Promise<void>((resolve, reject) => {
      framed.socket.write(Buffer.alloc(1_000_000, 1), (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
    framed.destroy();
    // The session saw the cut and ended (the server no longer lists it; it does so once the
    // session's work is done): whatever it would have stored, it has stored by now.
    await waitFor(`the session of ${peer} to end`, () =>
      sessionsNow(serverHome(keys.dir)).some((session) => session.peer === peer) ? undefined : true,
    );
    const files = inboxFiles('client3');
    expect(files).toHaveLength(before);
    expect(files.filter((name) => name.startsWith('.'))).toEqual([]);
    const client = await signIn(server.port, keys.dir, 'client2');
    await client.terminate();
  });

  it('answers a bad index with a clear message and goes on', async () => {
    const client = await signIn(server.port, keys.dir, 'client1');
    const refused = await client.read(9999);
    expect(refused.kind).toBe('refused');
    expect(refused.text).toMatch(/^Invalid email index: 9999\. Choose a number from 1 to \d+\.$/);
    const words = await client.read(() => Promise.resolve('abc'));
    expect(words.kind).toBe('refused');
    expect((await client.listInbox()).rows.length).toBeGreaterThan(0);
    await client.terminate();
  });

  it('terminates on any unknown menu choice', async () => {
    const printed = server.process.stdoutLines.length;
    const { channel } = await rawSession(server.port, keys.dir, 'client3');
    await channel.send('constructor');
    await expect(channel.receive()).rejects.toSatisfy((error: unknown) =>
      isProtocolError(error, 'CONNECTION_CLOSED'),
    );
    // The specification's line for it, printed by this session (not an earlier one of client3).
    await server.process.waitForLine(
      (line) => line === 'Terminating connection with client3.',
      15_000,
      'stdout',
      printed,
    );
  });

  it('survives a killed session process: the other session goes on and the child is replaced', async () => {
    const victim = await rawSession(server.port, keys.dir, 'client4');
    const survivor = await signIn(server.port, keys.dir, 'client5');
    const victimPid = await sessionPid(victim.framed.socket.localPort ?? 0);
    process.kill(victimPid, 'SIGKILL');
    await expect(victim.channel.receive()).rejects.toSatisfy((error: unknown) =>
      isProtocolError(error, 'CONNECTION_CLOSED'),
    );
    await survivor.send({ to: ['client1'], title: 'still here', content: 'ok' });
    expect((await survivor.listInbox()).rows).toBeDefined();
    await survivor.terminate();
    const again = await signIn(server.port, keys.dir, 'client4');
    await again.terminate();
    expect(inboxFiles('client1')).toContain('client5_still here.txt');
  });

  it('closes a connection that sends a frame length of 2^63 or garbage instead of a login', async () => {
    for (const bytes of [
      Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.concat([encodeFrameHeader(5), Buffer.from('hello')]),
    ]) {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      const closed = new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
        });
        socket.on('close', () => {
          resolve(Buffer.concat(chunks));
        });
      });
      socket.write(bytes);
      const received = await closed;
      // Garbage that is a whole frame gets the rejection; a 2^63 length gets nothing.
      expect(
        received.length === 0 || received.subarray(8).toString() === 'Invalid username or password',
      ).toBe(true);
    }
    const client = await signIn(server.port, keys.dir, 'client1');
    await client.terminate();
  });
});
