/**
 * The gateway's one configuration (gateway/web-bridge/option-table.ts): a --config file with
 * flags over it, --print-config naming where each value came from, and mistakes said in one
 * line and a line on --help (exit 2), against the built gateway.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWebRoot } from '../helpers/gateway.js';
import { makeKeySetup } from '../helpers/keys.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';

const HINT = 'Run with --help for the options';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-gateway-config-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A key folder, a built UI and a scratch folder for one test. */
async function site(): Promise<{ keys: string; webRoot: string; dir: string }> {
  const keys = await makeKeySetup(['client1']);
  cleanups.push(keys.cleanup);
  const web = makeWebRoot();
  cleanups.push(web.cleanup);
  return { keys: join(keys.dir, 'client1'), webRoot: web.dir, dir: tempDir() };
}

function writeConfig(dir: string, values: Record<string, unknown>): string {
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** Starts the built gateway with exactly these arguments; resolves with its address once it serves. */
async function startGateway(args: string[]): Promise<{ port: number; process: Spawned }> {
  const gateway = new Spawned('node', [distPath('gateway/main.js'), ...args]);
  cleanups.push(() => gateway.stop());
  const line = await gateway.waitForLine((text) => text.includes('/?token='), 20_000, 'stdout');
  return { port: Number(new URL(/http:\/\/\S+/.exec(line)?.[0] ?? '').port), process: gateway };
}

/** The status of GET / with this Host header: 403 when the gateway does not answer to the name. */
function statusFor(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** The --print-config line of `key`. */
const lineOf = (output: string, key: string): string | undefined =>
  output.split('\n').find((line) => line.startsWith(`${key} `));

describe('the gateway configuration file', () => {
  it('serves with the values of the file: its listen address, allowed names, data folder and log level', async () => {
    const { keys, webRoot, dir } = await site();
    const data = join(dir, 'gateway-data');
    const file = writeConfig(dir, {
      keys,
      'web-root': webRoot,
      // Port 0: the default (8080) would say the file was not read.
      listen: '127.0.0.1:0',
      'allow-host': ['mail.lab'],
      data,
      'log-level': 'info',
    });
    const { port, process } = await startGateway(['--config', file]);
    expect(port).not.toBe(8080);
    expect(port).toBeGreaterThan(0);
    await process.waitForRecord('listening', { port, dataDir: data });
    expect(existsSync(data)).toBe(true);
    expect(await statusFor(port, `mail.lab:${port}`)).not.toBe(403);
    expect(await statusFor(port, `other.lab:${port}`)).toBe(403);
  });

  it('a flag wins over the file: --allow-host replaces the names of the file', async () => {
    const { keys, webRoot, dir } = await site();
    const file = writeConfig(dir, {
      keys,
      'web-root': webRoot,
      listen: '127.0.0.1:0',
      'allow-host': ['mail.lab'],
    });
    const { port } = await startGateway(['--config', file, '--allow-host', 'other.lab']);
    expect(await statusFor(port, `other.lab:${port}`)).not.toBe(403);
    expect(await statusFor(port, `mail.lab:${port}`)).toBe(403);
  });

  it('--print-config prints each effective value and where it came from: flag over file over default', async () => {
    const { keys, dir } = await site();
    const file = writeConfig(dir, { keys, poll: 3, 'idle-timeout': 600, listen: '9090' });
    const result = await runNode('gateway/main.js', [
      '--config',
      file,
      '--poll',
      '7',
      '--print-config',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`# effective configuration (file: ${file})`);
    const line = (key: string): string | undefined => lineOf(result.stdout, key);
    expect(line('poll')).toMatch(/^poll +=  ?7 +# flag$/);
    expect(line('idle-timeout')).toMatch(/^idle-timeout += 600 +# file$/);
    expect(line('listen')).toMatch(/^listen += "127\.0\.0\.1:9090" +# file$/);
    expect(line('keys')).toMatch(new RegExp(`= "${keys}" +# file$`));
    expect(line('trash-days')).toMatch(/= 30 +# default$/);
    expect(line('server')).toMatch(/= "127\.0\.0\.1:13000" +# default$/);
    expect(line('data')).toMatch(/= \(\.gateway-data in the --keys folder\) +# default$/);

    // Without a file every value is a default, and --keys may be missing.
    const bare = await runNode('gateway/main.js', ['--print-config']);
    expect(bare.code).toBe(0);
    expect(bare.stdout.split('\n')[0]).toBe('# effective configuration (no --config file)');
    expect(lineOf(bare.stdout, 'poll')).toMatch(/= 10 +# default$/);
    expect(lineOf(bare.stdout, 'keys')).toMatch(/= \(none\) +# unset$/);

    // A repeated flag adds to the list it gives; the file's list is replaced, not merged.
    const repeated = await runNode('gateway/main.js', [
      '--config',
      writeConfig(dir, { 'allow-host': ['mail.lab'] }),
      '--allow-host',
      'a.lab',
      '--allow-host',
      'b.lab',
      '--print-config',
    ]);
    expect(lineOf(repeated.stdout, 'allow-host')).toMatch(/= \["a\.lab","b\.lab"\] +# flag$/);
  });

  it('an unknown key, a bad value in the file or on the command line: one line and one on --help, exit 2', async () => {
    const { keys, dir } = await site();
    const errorOf = async (args: string[]): Promise<string[]> => {
      const result = await runNode('gateway/main.js', args);
      expect(result.code, result.stderr).toBe(2);
      return result.stderr.trim().split('\n');
    };
    const file = writeConfig(dir, { keys, pol: 3 });
    expect(await errorOf(['--config', file])).toEqual([
      `error: --config ${file}: unknown option "pol" (--help lists them; a key is a flag's name without the dashes)`,
      HINT,
    ]);
    writeConfig(dir, { keys, poll: -1 });
    expect(await errorOf(['--config', file])).toEqual([
      expect.stringMatching(new RegExp(`^error: --config ${file}: "poll": Too small`)),
      HINT,
    ]);
    writeConfig(dir, { keys, listen: '127.0.0.1:x' });
    expect(await errorOf(['--config', file])).toEqual([
      expect.stringContaining(`"listen": "127.0.0.1:x" has no valid port`),
      HINT,
    ]);
    writeConfig(dir, { keys: join(dir, 'none') });
    expect(await errorOf(['--config', file])).toEqual([
      `error: --config ${file}: "keys": ${join(dir, 'none')} is not a folder`,
      HINT,
    ]);
    writeConfig(dir, { keys, 'allow-host': 'mail.lab' });
    expect(await errorOf(['--config', file])).toEqual([
      expect.stringContaining(`"allow-host": `),
      HINT,
    ]);
    expect(await errorOf(['--keys', keys, '--poll', 'often'])).toEqual([
      "error: option '--poll <secs>' argument 'often' is invalid. expected a whole number of at least 0",
      HINT,
    ]);
    expect(await errorOf(['--poll', '5'])).toEqual([
      `error: required option '--keys <dir>' not specified (or "keys" in the --config file)`,
      HINT,
    ]);
  });

  it('--help and --version end with exit code 0; the start checks still apply to values from the file', async () => {
    const help = await runNode('gateway/main.js', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--config <file>');
    expect(help.stdout).toContain('--print-config');
    const version = await runNode('gateway/main.js', ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^sealed-mail \d+\.\d+\.\d+\n$/);

    const { keys, dir } = await site();
    const file = writeConfig(dir, { keys, 'web-root': '/does/not/exist', listen: '127.0.0.1:0' });
    const noUi = await runNode('gateway/main.js', ['--config', file]);
    expect(noUi.code).toBe(1);
    expect(noUi.stderr).toBe(
      'gateway: --web-root /does/not/exist is not a folder: build the UI (npm run build) or name the folder that holds index.html',
    );
  });
});
