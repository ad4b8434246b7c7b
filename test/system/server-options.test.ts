import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { signIn } from '../helpers/client.js';
import { runNode } from '../helpers/processes.js';
import { isProtocolError } from '../../protocol/errors.js';
import { adminPortOf, sessionsNow, waitFor, waitForMetric } from '../helpers/server-state.js';

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

/** Signs `user` in and out again; resolves with the pid of the session process that served it. */
async function servedBy(server: RunningServer, dir: string, user: string): Promise<number> {
  // The previous client's session is over (its process lists it until it has finished it) ...
  await waitFor('no session listed', () =>
    sessionsNow(serverHome(dir)).length === 0 ? true : undefined,
  );
  const client = await signIn(server.port, dir, user);
  // ... so the one listed now, written at login before the first menu, is this client's.
  const [session] = sessionsNow(serverHome(dir));
  await client.terminate();
  if (!session) throw new Error(`no session of ${user} listed after its login`);
  return session.pid;
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
      // libpq's parameter, so that the test waits one second rather than the default ten.
      `postgres://mail@127.0.0.1:${port}/mail?connect_timeout=1`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('took the connection but did not answer within 1 s') as string,
    ]);
  });

  it('--max-use 1 gives every client a fresh process', async () => {
    const { dir, server } = await setup(['--max-use', '1', '--spare', '1']);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) pids.push(await servedBy(server, dir, 'client1'));
    expect(new Set(pids).size).toBe(3);
  });

  it('--max-use 100 reuses a process for the next client', async () => {
    const { dir, server } = await setup(['--spare', '1']);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) pids.push(await servedBy(server, dir, 'client2'));
    expect(new Set(pids).size).toBeLessThan(3);
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
      const [pid = 0] = sessionsNow(serverHome(dir)).map((session) => session.pid);
      expect(flagsOf(pid).includes('--jitless')).toBe(jitless);
      // Nothing but JSON lines on the server's stderr: no warning from the flags.
      expect(server.process.stderrLines.filter((line) => !line.startsWith('{'))).toEqual([]);
      await client.terminate();
    }
  });

  it('--max-sessions: a client beyond the cap waits its turn and is then served', async () => {
    const { dir, server } = await setup([
      '--max-sessions',
      '2',
      '--spare',
      '2',
      '--admin-listen',
      '127.0.0.1:0',
    ]);
    const admin = adminPortOf(server);
    const first = await signIn(server.port, dir, 'client1');
    const second = await signIn(server.port, dir, 'client2');
    let thirdServed = false;
    const third = signIn(server.port, dir, 'client3').then((client) => {
      thirdServed = true;
      return client;
    });
    // The pool holds the third in its queue (its gauge, not a pause that hopes so) ...
    await waitForMetric(admin, 'sealed_mail_sessions_queued', {}, (queued) => queued === 1);
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
      '--admin-listen',
      '127.0.0.1:0',
    ]);
    const admin = adminPortOf(server);
    const first = await signIn(server.port, dir, 'client1');
    const refused = await signIn(server.port, dir, 'client2').catch((error: unknown) => error);
    expect(isProtocolError(refused, 'CONNECTION_CLOSED')).toBe(true);
    expect((refused as Error).message).toContain('too busy');
    // The operator's line about it: the drop report, by its fields.
    await server.process.waitForRecord(
      (msg) => msg.startsWith('connections dropped: '),
      {
        reasons: (reasons: unknown) =>
          Object.keys(reasons as object).some((reason) =>
            reason.startsWith('too many waiting connections'),
          ),
      },
      { timeoutMs: 5000 },
    );
    await first.terminate();
    // Served again once the one session is free: the pool counts no session and a ready process.
    await waitForMetric(admin, 'sealed_mail_sessions', {}, (sessions) => sessions === 0);
    await waitForMetric(
      admin,
      'sealed_mail_session_processes',
      { state: 'ready' },
      (ready) => ready >= 1,
    );
    const next = await signIn(server.port, dir, 'client2');
    expect(next.menu).toContain('Select the operation:');
    await next.terminate();
  });

  it('--idle-timeout ends a silent session; --login-timeout a connection that never logs in', async () => {
    const { dir, server } = await setup(['--idle-timeout', '1', '--login-timeout', '1']);
    const client = await signIn(server.port, dir, 'client4');
    // The server ends the session: it is no longer listed (admin who) ...
    await waitFor('the idle session to end', () =>
      sessionsNow(serverHome(dir)).length === 0 ? true : undefined,
    );
    // ... and says why, in its record of the end.
    await server.process.waitForRecord(
      'session ended',
      { user: 'client4', code: 'IDLE_TIMEOUT' },
      { timeoutMs: 5000 },
    );
    await expect(client.listInbox()).rejects.toThrow();
    // A connection that starts its login frame and never finishes it (slowloris) is closed too.
    const socket = connect({ host: '127.0.0.1', port: server.port });
    socket.write(Buffer.from([0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3]));
    await new Promise((resolve) => socket.once('close', resolve));
  });
});
