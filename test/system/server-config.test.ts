/**
 * The mail server's one configuration: a --config file with flags over it, --print-config,
 * a SIGHUP that rereads it, usage errors in two lines, and --log-file reopened on SIGUSR1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer } from '../helpers/server.js';
import { signIn } from '../helpers/client.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { until } from '../helpers/postgres.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-config-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const HINT = 'Run with --help for the options';

/** Resolves when `name` appears in `dir` (logrotate's new file), however soon. */
function appears(dir: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      if (!existsSync(join(dir, name))) return;
      watcher.close();
      resolve();
    });
    if (existsSync(join(dir, name))) {
      watcher.close();
      resolve();
    }
  });
}

describe('the configuration file and --print-config', () => {
  it('prints each effective value and where it came from: flag over file over default; never a password', async () => {
    const dir = tempDir();
    const file = join(dir, 'server.json');
    writeFileSync(
      file,
      JSON.stringify({
        'max-sessions': 7,
        spare: 2,
        store: 'postgres://mail:secret@db.example:5432/mail',
        'admin-listen': '9130',
      }),
    );
    const result = await runNode('mail-server/main.js', [
      '--config',
      file,
      '--spare',
      '3',
      '--print-config',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`# effective configuration (file: ${file})`);
    const line = (key: string): string | undefined =>
      lines.find((each) => each.startsWith(`${key} `));
    expect(line('max-sessions')).toMatch(/^max-sessions +=  ?7 +# file$/);
    expect(line('spare')).toMatch(/^spare +=  ?3 +# flag$/);
    expect(line('max-use')).toMatch(/^max-use += 100 +# default$/);
    expect(line('port')).toMatch(/^port += 13000 +# default$/);
    expect(line('login-timeout')).toMatch(/= 60 +# default, reloads on SIGHUP$/);
    expect(line('admin-listen')).toMatch(/= "127\.0\.0\.1:9130" +# file$/);
    expect(line('store')).toMatch(/= "postgres:\/\/mail@db\.example:5432\/mail" +# file$/);
    expect(line('home')).toMatch(/= \(none\) +# unset$/);
    expect(result.stdout).not.toContain('secret');

    const enhanced = await runNode('mail-server/main-enhanced.js', ['--print-config']);
    expect(enhanced.stdout).toMatch(/^port += 13001 +# default$/m);
  });

  it('--version and --help end with exit code 0, on both servers', async () => {
    for (const main of ['mail-server/main.js', 'mail-server/main-enhanced.js']) {
      const version = await runNode(main, ['--version']);
      expect(version.stdout).toMatch(/^sealed-mail \d+\.\d+\.\d+\n$/);
      expect(version.code).toBe(0);
      const help = await runNode(main, ['--help']);
      expect(help.stdout).toContain('--print-config');
      expect(help.code).toBe(0);
    }
  });

  it('a mistake in the file or on the command line: the error and one line on --help, exit 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'server.json');
    const errorOf = async (args: string[]): Promise<string[]> => {
      const result = await runNode('mail-server/main.js', args);
      expect(result.code).toBe(2);
      return result.stderr.trim().split('\n');
    };
    writeFileSync(file, '{"max-sesions": 7, "spare": -1}');
    const both = await errorOf(['--config', file]);
    expect(both).toEqual([expect.stringContaining('unknown option "max-sesions"'), HINT]);
    expect(both[0]).toContain('"spare": Too small: expected number to be >=0');
    writeFileSync(file, '{"store": "mysql://x"}');
    expect(await errorOf(['--config', file])).toEqual([
      expect.stringContaining('"store": expected "files" or a PostgreSQL URL'),
      HINT,
    ]);
    writeFileSync(file, '{"spare": 1');
    expect(await errorOf(['--config', file])).toEqual([
      expect.stringContaining(`${file}: is not valid JSON`),
      HINT,
    ]);
    expect(await errorOf(['--config', join(dir, 'none.json')])).toEqual([
      `error: --config ${join(dir, 'none.json')}: no such file: check the path given to --config`,
      HINT,
    ]);
    expect(await errorOf(['--home', dir, '--port', 'abc'])).toEqual([
      "error: option '--port <n>' argument 'abc' is invalid. expected a whole number from 0 to 65535",
      HINT,
    ]);
    expect(await errorOf(['--home', dir, '--nonsense'])).toEqual([
      "error: unknown option '--nonsense'",
      HINT,
    ]);
  });

  it('a server runs from the file with flags over it; a SIGHUP applies a new login timeout at once, names what waits for a restart, and keeps the configuration when the file is broken', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const file = join(tempDir(), 'server.json');
    writeFileSync(file, JSON.stringify({ 'log-level': 'warn', 'max-sessions': 5 }));
    const server = await startMailServer(serverHome(keys.dir), [
      '--config',
      file,
      '--log-level',
      'info',
    ]);
    cleanups.push(() => server.stop());
    // The flag wins over the file: info lines are written.
    expect(server.process.records('listening')).toHaveLength(1);

    // The flag still wins after a reload; the file's new login timeout is applied, its new
    // session count waits for a restart.
    writeFileSync(
      file,
      JSON.stringify({ 'log-level': 'warn', 'max-sessions': 6, 'login-timeout': 1 }),
    );
    const since = server.process.stderrLines.length;
    server.process.child.kill('SIGHUP');
    const waits = await server.process.waitForRecord(
      (msg) => msg.startsWith('configuration changed where only a restart applies it'),
      {},
      { timeoutMs: 10_000, since },
    );
    expect(waits).toMatchObject({ options: ['max-sessions'] });
    await server.process.waitForRecord(
      'configuration reloaded',
      {
        options: (options: unknown) => Array.isArray(options) && options.includes('login-timeout'),
      },
      { timeoutMs: 10_000, since },
    );

    // A connection that says nothing is closed after 1 s now, not 60 s.
    const silent = connect({ host: '127.0.0.1', port: server.port });
    const opened = Date.now();
    await new Promise((resolve) => silent.once('close', resolve));
    expect(Date.now() - opened).toBeLessThan(10_000);

    // A broken file changes nothing, in one line.
    writeFileSync(file, '{"log-level": ');
    const before = server.process.stderrLines.length;
    server.process.child.kill('SIGHUP');
    const refused = await server.process.waitForRecord(
      'configuration not reloaded; the one before it stays',
      {},
      { timeoutMs: 10_000, since: before },
    );
    expect(JSON.stringify(refused.err)).toContain('is not valid JSON');
    const client = await signIn(server.port, keys.dir, 'client1');
    await client.terminate();
  });
});

describe('--log-file', () => {
  it("holds every process's lines with ISO times, and is reopened on SIGUSR1 after logrotate moved it", async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const dir = tempDir();
    const logFile = join(dir, 'mail.log');
    const server = new Spawned('node', [
      distPath('mail-server/main.js'),
      '--home',
      serverHome(keys.dir),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--spare',
      '1',
      '--log-file',
      logFile,
    ]);
    cleanups.push(() => server.stop());
    await server.waitForLine(
      (line) => line === 'The server is ready to accept connections',
      20_000,
      'stdout',
    );
    const records = (): { msg: string; time: string; role?: string; port?: number }[] =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        // The last piece is empty, or a line still being written: only whole lines are read.
        .slice(0, -1)
        .map((line) => JSON.parse(line) as { msg: string; time: string });
    const listening = records().find((record) => record.msg === 'listening');
    expect(listening?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const port = listening?.port ?? 0;
    // No log line on stderr: the parent's and the session processes' go to the file.
    expect(server.stderrLines.filter((line) => line.startsWith('{'))).toEqual([]);

    let client = await signIn(port, keys.dir, 'client1');
    await client.terminate();
    const fromSession = await until(
      () => Promise.resolve(records().find((record) => record.role === 'session')),
      (record) => record !== undefined,
    );
    expect(fromSession?.time).toMatch(/Z$/);

    renameSync(logFile, `${logFile}.1`);
    const reopened = appears(dir, 'mail.log');
    server.child.kill('SIGUSR1');
    await reopened;
    await until(
      () => Promise.resolve(records().some((record) => record.msg === 'log file reopened')),
      (found) => found,
    );
    client = await signIn(port, keys.dir, 'client2');
    await client.terminate();
    // The session process (the same one: --max-use 100) writes to the new file too.
    await until(
      () => Promise.resolve(records().some((record) => record.role === 'session')),
      (found) => found,
    );
    expect(readFileSync(`${logFile}.1`, 'utf8')).not.toContain('log file reopened');
  });
});
