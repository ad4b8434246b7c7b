/**
 * A throwaway PostgreSQL cluster from the machine's Debian packages (`apt-get install
 * postgresql`): initdb in a temporary folder, started with pg_ctl on a free port, removed when
 * it is stopped. Run as root, the server runs as the unprivileged `postgres` user that the
 * package creates. Tests, the lab, the benchmark and the load tool use it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

const PACKAGE_ROOT = '/usr/lib/postgresql';
const INSTALL_HINT = 'install it with: apt-get install -y postgresql';
/** The unprivileged account that Debian's package makes; PostgreSQL refuses to run as root. */
const SERVER_ACCOUNT = 'postgres';
export const CLUSTER_SUPERUSER = 'sealed_mail';

/** The newest PostgreSQL's bin folder under Debian's layout, or undefined. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(PACKAGE_ROOT)) return undefined;
  const versions = readdirSync(PACKAGE_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return versions
    .map((version) => join(PACKAGE_ROOT, version, 'bin'))
    .find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
}

/** Why this machine cannot run a throwaway cluster, with what to do about it; undefined when it can. */
export function postgresUnavailableReason(): string | undefined {
  if (!findPostgresBin())
    return `PostgreSQL is not installed (no initdb under ${PACKAGE_ROOT}); ${INSTALL_HINT}`;
  if (process.getuid?.() === 0) {
    try {
      accountIds(SERVER_ACCOUNT);
    } catch {
      return `there is no "${SERVER_ACCOUNT}" account to run PostgreSQL as; ${INSTALL_HINT}`;
    }
  }
  return undefined;
}

function accountIds(name: string): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  if (uid === undefined || gid === undefined) throw new Error(`no account ${name}`);
  return { uid: Number(uid), gid: Number(gid) };
}

export interface ClusterOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default: a free one on `host`). */
  port?: number;
  /** The server's max_connections (default 300: every session process of a few servers). */
  maxConnections?: number;
  /** The superuser's password; without one, connections from `host` are trusted. */
  password?: string;
  /** Addresses (CIDR) allowed to connect besides `host`, with the password. */
  allowFrom?: string;
  /** Prefixes every command, e.g. `ip netns exec NS` to run the cluster on a lab host. */
  prefix?: readonly string[];
}

export interface PostgresCluster {
  host: string;
  port: number;
  /** The folder that holds the data, the log and the socket. */
  dir: string;
  /** A connection URL to one database of the cluster (default: the maintenance database). */
  url(database?: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server: `immediate` is a crash (recovery at the next start), `fast` a clean stop. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again after stop(). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Starts a new cluster; throws with the reason (and how to install) where it cannot. */
export async function startThrowawayCluster(
  options: ClusterOptions = {},
): Promise<PostgresCluster> {
  const reason = postgresUnavailableReason();
  const bin = findPostgresBin();
  if (reason !== undefined || bin === undefined) throw new Error(reason);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? accountIds(SERVER_ACCOUNT) : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const command = async (program: string, args: string[]): Promise<void> => {
    const line = [
      ...(options.prefix ?? []),
      ...(asRoot ? ['runuser', '-u', SERVER_ACCOUNT, '--'] : []),
      join(bin, program),
      ...args,
    ];
    const [file = '', ...rest] = line;
    await run(file, rest, { cwd: dir });
  };

  const passwordFile = join(dir, 'password');
  if (options.password !== undefined) {
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  }
  await command('initdb', [
    '-D',
    data,
    '-U',
    CLUSTER_SUPERUSER,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
    '--auth-local=trust',
    ...(options.password === undefined
      ? ['--auth-host=trust']
      : ['--auth-host=scram-sha-256', `--pwfile=${passwordFile}`]),
  ]);
  rmSync(passwordFile, { force: true });
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `listen_addresses = '${host}'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `max_connections = ${options.maxConnections ?? 300}`,
      // The server's own log stays in the folder, for a look after a failed test.
      `logging_collector = off`,
      '',
    ].join('\n'),
    { flag: 'a' },
  );
  if (options.allowFrom !== undefined) {
    writeFileSync(join(data, 'pg_hba.conf'), `host all all ${options.allowFrom} scram-sha-256\n`, {
      flag: 'a',
    });
  }
  const start = (): Promise<void> =>
    command('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast'): Promise<void> =>
    command('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  await start();

  const url = (database = 'postgres'): string => {
    const secret = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}`;
    return `postgres://${CLUSTER_SUPERUSER}${secret}@${host}:${port}/${database}`;
  };
  let running = true;
  return {
    host,
    port,
    dir,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop(mode) {
      await stop(mode);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop('immediate').catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
