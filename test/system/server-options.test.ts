import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { signIn } from '../helpers/client.js';
import { runNode } from '../helpers/processes.js';
import { isProtocolError } from '../../protocol/errors.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(args: string[]): Promise<{ dir: string; server: RunningServer }> {
  const keys = await makeKeySetup();
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), args);
  cleanups.push(() => server.stop());
  return { dir: keys.dir, server };
}

function sessionPids(server: RunningServer): number[] {
  return server.process.records('session started').map((record) => record.pid as number);
}

describe('server options and start-up errors', () => {
  it('names the missing or malformed file at start-up', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const home = serverHome(keys.dir);
    rmSync(join(home, 'client3_public.pem'));
    let result = await runNode('mail-server/main.js', ['--home', home, '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(home, 'client3_public.pem')}: missing`);

    writeFileSync(join(home, 'user_pass.json'), '{"client1": ');
    result = await runNode('mail-server/main.js', ['--home', home, '--port', '0']);
    expect(result.stderr).toMatch(/user_pass\.json: is not valid JSON/);

    writeFileSync(join(home, 'user_pass.json'), '{"../evil": "x"}');
    result = await runNode('mail-server/main.js', ['--home', home, '--port', '0']);
    expect(result.stderr).toMatch(/"\.\.\/evil" is not a valid username/);

    writeFileSync(join(home, 'server_private.pem'), 'garbage');
    result = await runNode('mail-server/main.js', ['--home', home, '--port', '0']);
    expect(result.stderr).toMatch(/server_private\.pem: .*not a PEM private key/);

    result = await runNode('mail-server/main.js', ['--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--home <dir>' not specified");
  });

  it('refuses, in one line with what to run, key files others can read, a home others can write, a public key that does not match', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const home = serverHome(keys.dir);
    const start = () => runNode('mail-server/main.js', ['--home', home, '--port', '0']);
    const privateFile = join(home, 'server_private.pem');

    chmodSync(privateFile, 0o644);
    let result = await start();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${privateFile}: can be read by other users (mode 0644); run: chmod 600 ${privateFile}`,
    );
    chmodSync(privateFile, 0o600);

    chmodSync(join(home, 'user_pass.json'), 0o640);
    result = await start();
    expect(result.stderr).toContain('user_pass.json: can be read by other users (mode 0640)');
    chmodSync(join(home, 'user_pass.json'), 0o600);

    chmodSync(home, 0o777);
    result = await start();
    expect(result.stderr).toContain(`${home}: can be written by other users (mode 0777)`);
    expect(result.stderr).toContain(`run: chmod go-w ${home}`);
    chmodSync(home, 0o700);

    // Another user's public key where the server's belongs.
    copyFileSync(join(home, 'client1_public.pem'), join(home, 'server_public.pem'));
    result = await start();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server_public.pem: does not match server_private.pem');
    expect(result.stderr).toContain('openssl pkey -in');
  });

  it('a database that takes the connection and never answers: the start fails with one line instead of hanging', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of held) socket.destroy();
      silent.close();
    });
    const port = (silent.address() as AddressInfo).port;
    const result = await runNode('mail-server/main.js', [
      '--home',
      serverHome(keys.dir),
      '--port',
      '0',
      '--store',
      `postgres://mail@127.0.0.1:${port}/mail`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('took the connection but did not answer within 10 s') as string,
    ]);
  });

  it('--max-use 1 gives every client a fresh process', async () => {
    const { dir, server } = await setup(['--max-use', '1', '--spare', '1']);
    for (let i = 0; i < 3; i++) {
      const client = await signIn(server.port, dir, 'client1');
      await client.terminate();
    }
    await server.process.waitForLine(
      () =>
        server.process.stderrLines.filter((line) => line.includes('session started')).length === 3,
    );
    const pids = sessionPids(server);
    expect(new Set(pids).size).toBe(3);
  });

  it('--max-use 100 reuses a process for the next client', async () => {
    const { dir, server } = await setup(['--spare', '1']);
    for (let i = 0; i < 3; i++) {
      const client = await signIn(server.port, dir, 'client2');
      await client.terminate();
    }
    await server.process.waitForLine(
      () =>
        server.process.stderrLines.filter((line) => line.includes('session started')).length === 3,
    );
    expect(new Set(sessionPids(server)).size).toBeLessThan(3);
  });

  it('session processes run without V8 compilers unless --session-jit on, and serve either way', async () => {
    const flagsOf = (pid: number): string[] =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    for (const [args, jitless] of [
      [[], true],
      [['--session-jit', 'on'], false],
    ] as const) {
      const { dir, server } = await setup(['--spare', '1', ...args]);
      const client = await signIn(server.port, dir, 'client3');
      await client.send({ to: ['client3'], title: `jit ${String(!jitless)}`, content: 'x' });
      expect((await client.listInbox()).rows.map((row) => row.title)).toEqual([
        `jit ${String(!jitless)}`,
      ]);
      await server.process.waitForRecord('session started');
      const [pid = 0] = sessionPids(server);
      expect(flagsOf(pid).includes('--jitless')).toBe(jitless);
      // Nothing but JSON lines on the server's stderr: no warning from the flags.
      expect(server.process.stderrLines.filter((line) => !line.startsWith('{'))).toEqual([]);
      await client.terminate();
    }
  });

  it('--max-sessions: a client beyond the cap waits its turn and is then served', async () => {
    // Debug level: the pool says when a connection waits for a session.
    const { dir, server } = await setup([
      '--max-sessions',
      '2',
      '--spare',
      '2',
      '--log-level',
      'debug',
    ]);
    const first = await signIn(server.port, dir, 'client1');
    const second = await signIn(server.port, dir, 'client2');
    const since = server.process.stderrLines.length;
    let thirdServed = false;
    const third = signIn(server.port, dir, 'client3').then((client) => {
      thirdServed = true;
      return client;
    });
    // The pool put the third in the waiting room (its own word, not a pause that hopes so) ...
    await server.process.waitForRecord('connection waits for a session', {}, { since });
    expect(thirdServed).toBe(false);
    await first.terminate();
    const client3 = await third;
    expect(client3.menu).toContain('Select the operation:');
    await Promise.all([second.terminate(), client3.terminate()]);
  });

  it('--max-queue: a client that would wait beyond it is refused, and told the server may be busy', async () => {
    const { dir, server } = await setup([
      '--max-sessions',
      '1',
      '--spare',
      '1',
      '--max-queue',
      '0',
    ]);
    const first = await signIn(server.port, dir, 'client1');
    const refused = await signIn(server.port, dir, 'client2').catch((error: unknown) => error);
    expect(isProtocolError(refused, 'CONNECTION_CLOSED')).toBe(true);
    expect((refused as Error).message).toContain('too busy');
    await server.process.waitForLine(
      (line) => line.includes('too many waiting connections'),
      5000,
      'stderr',
    );
    await first.terminate();
    // Served again once the one session is free (the process reports it free just after).
    let next: MailClient | undefined;
    for (let attempt = 0; attempt < 50 && !next; attempt++) {
      next = await signIn(server.port, dir, 'client2').catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    expect(next?.menu).toContain('Select the operation:');
    await next?.terminate();
  });

  it('--idle-timeout ends a silent session; --login-timeout a connection that never logs in', async () => {
    const { dir, server } = await setup(['--idle-timeout', '1', '--login-timeout', '1']);
    const client = await signIn(server.port, dir, 'client4');
    await server.process.waitForLine((line) => line.includes('IDLE_TIMEOUT'), 5000, 'stderr');
    await expect(client.listInbox()).rejects.toThrow();
    // A connection that starts its login frame and never finishes it (slowloris) is closed too.
    const socket = connect({ host: '127.0.0.1', port: server.port });
    socket.write(Buffer.from([0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3]));
    await new Promise((resolve) => socket.once('close', resolve));
  });
});
