/**
 * The production install, as README's "Operating a site" has it: the package `npm pack` makes
 * (dist/, the built UI, the units, the lockfile as npm-shrinkwrap.json; what prepack does, on
 * the dist/ this test run built) unpacked in ROOT/opt/sealed-mail, `npm ci --omit=dev` there
 * (no dev dependency, no build) and `npm install --global` of that folder (the programs linked
 * into ROOT/usr/local/bin), in a temporary root: every program answers --version, the installed server serves a login,
 * and `systemd-analyze verify` finds nothing to say about the units with the installed
 * programs where they name them. The install runs offline, from npm's cache: where the cache
 * lacks a package the test says so and skips.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/client.js';
import { repoRoot, Spawned, type LogRecord } from '../helpers/processes.js';

const PROGRAMS = [
  'sealed-mail-server',
  'sealed-mail-enhanced',
  'sealed-mail-gateway',
  'sealed-mail-client',
  'sealed-mail-admin',
  'sealed-mail-keygen',
];
const UNITS = ['sealed-mail-server', 'sealed-mail-enhanced', 'sealed-mail-gateway'];

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
};

let scratch: string;
/** The temporary root: the package installed in ROOT/usr/local as on a host. */
let root: string;
let skipReason: string | undefined;

function run(command: string, args: string[], cwd: string) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });
}

/** The tarball prepack + npm pack make, from the dist/ already built. */
function pack(): string {
  const stage = join(scratch, 'stage');
  mkdirSync(stage);
  for (const part of ['package.json', 'README.md', 'dist', 'docs', 'deploy', join('web', 'dist')])
    cpSync(join(repoRoot, part), join(stage, part), { recursive: true });
  cpSync(join(repoRoot, 'package-lock.json'), join(stage, 'npm-shrinkwrap.json'));
  const packed = run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch],
    stage,
  );
  expect(packed.status, packed.stderr).toBe(0);
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  return join(scratch, filename);
}

/** Runs an npm command offline; false (and the skip reason set) when the cache lacks a package. */
function npmOffline(args: string[], cwd: string): boolean {
  const done = run('npm', [...args, '--offline', '--no-audit', '--no-fund'], cwd);
  if (done.status !== 0 && done.stderr.includes('ENOTCACHED')) {
    skipReason = "npm's cache lacks a dependency, and this test installs offline";
    return false;
  }
  expect(done.status, done.stderr).toBe(0);
  return true;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'sealed-mail-install-'));
  root = join(scratch, 'root');
  const tarball = pack();
  const target = installedPackage();
  mkdirSync(target, { recursive: true });
  const unpacked = run('tar', ['xzf', tarball, '-C', target, '--strip-components=1'], scratch);
  expect(unpacked.status, unpacked.stderr).toBe(0);
  if (!npmOffline(['ci', '--omit=dev'], target)) return;
  npmOffline(['install', '--global', '--prefix', join(root, 'usr', 'local'), target], scratch);
}, 300_000);
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function bin(name: string): string {
  return join(root, 'usr', 'local', 'bin', name);
}
function installedPackage(): string {
  return join(root, 'opt', 'sealed-mail');
}

describe('the production install', () => {
  it('ships the lockfile and no test, source map or dev dependency', ({ skip }) => {
    if (skipReason) skip(skipReason);
    const modules = readdirSync(join(installedPackage(), 'node_modules'));
    expect(modules).toContain('fastify');
    for (const dev of ['typescript', 'vitest', 'vite', 'eslint', 'esbuild'])
      expect(modules).not.toContain(dev);
    expect(existsSync(join(installedPackage(), 'npm-shrinkwrap.json'))).toBe(true);
    expect(existsSync(join(installedPackage(), 'test'))).toBe(false);
    expect(existsSync(join(installedPackage(), 'dist', 'mail-server', 'main.js.map'))).toBe(false);
    expect(existsSync(join(installedPackage(), 'web', 'dist', 'index.html'))).toBe(true);
    expect(Object.keys(packageJson.bin).sort()).toEqual([...PROGRAMS].sort());
  });

  it('has every program on the PATH, each answering --version', ({ skip }) => {
    if (skipReason) skip(skipReason);
    for (const program of PROGRAMS) {
      const answer = run(bin(program), ['--version'], scratch);
      expect(answer.stdout, `${program}: ${answer.stderr}`).toBe(
        `sealed-mail ${packageJson.version}\n`,
      );
      expect(answer.status).toBe(0);
    }
  });

  it('runs: keygen makes a site, the installed server serves a login on it', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const site = join(scratch, 'site');
    const keygen = run(bin('sealed-mail-keygen'), ['--out', site, '--users', 'client1'], scratch);
    expect(keygen.status, keygen.stderr).toBe(0);
    const server = new Spawned(bin('sealed-mail-server'), [
      '--home',
      join(site, 'server'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    try {
      const { port } = (await server.waitForRecord('listening')) as { port: number } & LogRecord;
      const client = await signIn(port, site, 'client1', 'password1');
      await client.send({ to: ['client1'], title: 'Installed', content: 'It runs.' });
      expect((await client.listInbox()).rows).toHaveLength(1);
      await client.terminate();
    } finally {
      await server.stop();
    }
  });
});

describe('the systemd units in deploy/', () => {
  const analyze = '/usr/bin/systemd-analyze';

  /** systemd-analyze verify of the units placed in ROOT/etc/systemd/system: its stderr. */
  function verify(units: Record<string, string>): { status: number | null; stderr: string } {
    const system = join(root, 'etc', 'systemd', 'system');
    rmSync(system, { recursive: true, force: true });
    mkdirSync(system, { recursive: true });
    // The host's own units (sysinit.target and the rest) and the kill of ExecReload.
    if (!existsSync(join(root, 'usr', 'lib', 'systemd', 'system'))) {
      cpSync('/usr/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      mkdirSync(join(root, 'bin'), { recursive: true });
      cpSync('/bin/kill', join(root, 'bin', 'kill'));
    }
    for (const [name, text] of Object.entries(units))
      writeFileSync(join(system, `${name}.service`), text);
    const paths = Object.keys(units).map((name) => join(system, `${name}.service`));
    const checked = run(analyze, ['verify', '--man=no', `--root=${root}`, ...paths], scratch);
    return { status: checked.status, stderr: checked.stderr };
  }

  const unitText = (name: string): string =>
    readFileSync(join(repoRoot, 'deploy', `${name}.service`), 'utf8');

  it('verify finds nothing to say, with the installed programs where the units name them', ({
    skip,
  }) => {
    if (skipReason) skip(skipReason);
    if (!existsSync(analyze)) skip(`${analyze} is missing (apt-get install systemd)`);
    const result = verify(Object.fromEntries(UNITS.map((name) => [name, unitText(name)])));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // The check can fail: a misspelt key and a program that is not there are both reported.
    const broken = verify({
      'sealed-mail-server': unitText('sealed-mail-server')
        .replace('ProtectSystem=strict', 'ProtectSystm=strict')
        .replace('/usr/local/bin/sealed-mail-server ', '/usr/local/bin/sealed-mail-servr '),
    });
    expect(broken.stderr).toContain("Unknown key 'ProtectSystm'");
    expect(broken.stderr).toContain('sealed-mail-servr is not executable');
  });

  it('sandbox each service: a dedicated user, a read-only system but the home, no new privileges, a private /tmp, readiness', () => {
    for (const name of UNITS) {
      const text = unitText(name);
      for (const line of [
        'User=sealed-mail',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'PrivateTmp=yes',
        'Type=exec',
      ])
        expect(text, name).toContain(`\n${line}\n`);
      expect(text, name).toMatch(/\nReadWritePaths=\/var\/lib\/sealed-mail\/\w+\n/);
      expect(text, name).toMatch(
        /\nExecStartPost=\/usr\/local\/bin\/sealed-mail-admin .*wait-ready/,
      );
    }
  });
});
