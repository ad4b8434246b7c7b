#!/usr/bin/env node
/**
 * `npm run load -- [options]`: a burst of clients, then a steady state, against real servers on
 * loopback: one mail-server host, or several sharing a PostgreSQL store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { loadServerHome } from '../mail-server/home.js';
import { isPostgresUrl, type PostgresUrl } from '../mail-server/store/open-store.js';
import { integerArgument, parseCommandLine } from '../protocol/program.js';
import { writeKeySetup } from './key-setup.js';
import { childPids, cpuMs, proportionalMiB, spawnMailServer } from './lib/server-process.js';
import { openPostgresTarget } from './lib/postgres-target.js';
import { runLoad } from './load/run-load.js';

const values = parseCommandLine(
  new Command('npm run load --')
    .description(
      'Concurrent protocol clients against real servers on loopback: a burst of logins, a steady state of send / list / read, then a check that every sent email is stored once and whole.',
    )
    .addOption(
      new Option('--clients <n>', 'concurrent protocol clients')
        .default(50)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option('--seconds <s>', 'how long the steady state lasts')
        .default(20)
        .argParser(integerArgument(1)),
    )
    .option('--enhanced', 'use the enhanced protocol')
    .option(
      '--reconnect',
      'each round is a new session (log in, send, list, read, quit) instead of one session per client held for the whole run',
    )
    .addOption(
      new Option('--users <n>', 'how many users the clients share')
        .default(10)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-sessions <n>',
        "the server's --max-sessions (default: the server's own)",
      ).argParser(integerArgument(1)),
    )
    .option(
      '--server-args <flags>',
      'more flags for the servers, e.g. --server-args="--clients-per-process 16"',
    )
    .addOption(
      new Option(
        '--store <store>',
        "maildir, postgres (a throwaway cluster of this machine's PostgreSQL) or a PostgreSQL URL where a database may be made",
      ).default('maildir'),
    )
    .addOption(
      new Option(
        '--hosts <n>',
        'mail-server hosts sharing the PostgreSQL store; the clients are spread over them, each naming the others as fallbacks',
      )
        .default(1)
        .argParser(integerArgument(1)),
    ),
  process.argv.slice(2),
).opts<{
  clients: number;
  seconds: number;
  enhanced?: boolean;
  reconnect?: boolean;
  users: number;
  maxSessions?: number;
  serverArgs?: string;
  store: string;
  hosts: number;
}>();

if (values.store !== 'maildir' && values.store !== 'postgres' && !isPostgresUrl(values.store)) {
  process.stderr.write('npm run load: --store is maildir, postgres or a PostgreSQL URL\n');
  process.exit(2);
}
if (values.hosts > 1 && values.store === 'maildir') {
  process.stderr.write(
    `npm run load: --hosts ${values.hosts} needs a shared store: --store postgres\n`,
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-load-'));
const users = Array.from({ length: values.users }, (_, i) => `client${i + 1}`);
await writeKeySetup({ out: dir, users });
const postgres = await openPostgresTarget(
  values.store === 'maildir' ? undefined : values.store === 'postgres' ? true : values.store,
);
const store = postgres ? await freshDatabase(postgres.url) : 'maildir';
const serverArgs = [
  ...(values.maxSessions === undefined ? [] : ['--max-sessions', String(values.maxSessions)]),
  ...(values.serverArgs?.split(/\s+/).filter((arg) => arg !== '') ?? []),
  ...(store === 'maildir' ? [] : ['--store', store]),
];
const servers = await Promise.all(
  Array.from({ length: values.hosts }, () =>
    spawnMailServer({
      home: join(dir, 'server'),
      enhanced: values.enhanced ?? false,
      args: serverArgs,
      stderr: process.env.LOAD_DEBUG ? 'inherit' : 'warnings',
    }),
  ),
);

/** A new database beside the one `url` names, for this run. */
async function freshDatabase(url: string): Promise<PostgresUrl> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP DATABASE IF EXISTS sealed_mail_load WITH (FORCE)');
  await client.query('CREATE DATABASE sealed_mail_load');
  await client.end();
  const fresh = new URL(url);
  fresh.pathname = '/sealed_mail_load';
  return fresh.toString() as PostgresUrl;
}

/** Every stored text of a user's inbox, read through the PostgreSQL store. */
function postgresTexts(url: PostgresUrl): (user: string) => Promise<string[]> {
  return async (user) => {
    const { PostgresStore } = await import('../mail-server/store/postgres-store.js');
    const reader = new PostgresStore(url, loadServerHome(join(dir, 'server')).users.keys());
    try {
      const entries = await reader.list(user);
      const texts = await Promise.all(entries.map((entry) => reader.read(user, { id: entry.id })));
      return texts.filter((text) => text !== undefined);
    } finally {
      await reader.close();
    }
  };
}

const serverProcesses = (): number[] => {
  const parents = servers.map((server) => server.child.pid ?? 0);
  return [...parents, ...parents.flatMap(childPids)];
};

/** The servers' processes and their memory, as the kernel shares it out (PSS). */
function serverMemory(): { session_processes: number; total_pss_mib: number } {
  const pids = serverProcesses();
  const total = pids.reduce((sum, pid) => sum + (proportionalMiB(pid) ?? 0), 0);
  return { session_processes: pids.length - servers.length, total_pss_mib: Math.round(total) };
}

/** CPU seconds used so far by this process (the clients) and by the servers' processes alive now. */
function cpuSeconds(): { clients: number; server: number } {
  const own = process.cpuUsage();
  const serverMs = serverProcesses().reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  return { clients: (own.user + own.system) / 1e6, server: serverMs / 1000 };
}

let memory: ReturnType<typeof serverMemory> | undefined;
let cpuAtStart: ReturnType<typeof cpuSeconds> | undefined;
let steadyCpu: { clients: number; server: number } | undefined;
try {
  const report = await runLoad({
    dir,
    users,
    ports: servers.map((server) => server.port),
    ...(store === 'maildir' ? {} : { storedTexts: postgresTexts(store) }),
    channel: values.enhanced ? 'enhanced' : 'classic',
    clients: values.clients,
    seconds: values.seconds,
    reconnect: values.reconnect ?? false,
    onSteadyState: (phase) => {
      if (phase === 'start') {
        memory = serverMemory();
        cpuAtStart = cpuSeconds();
        return;
      }
      const now = cpuSeconds();
      const round = (seconds: number): number => Math.round(seconds * 10) / 10;
      if (cpuAtStart)
        steadyCpu = {
          clients: round(now.clients - cpuAtStart.clients),
          server: round(now.server - cpuAtStart.server),
        };
    },
  });
  const output = {
    protocol: values.enhanced ? 'enhanced' : 'classic',
    store: postgres ? `PostgreSQL, ${postgres.description}` : 'maildir',
    hosts: values.hosts,
    server_args: serverArgs,
    ...report,
    memory_after_burst: memory,
    /** CPU seconds spent during the steady state, by the clients (this process) and the servers. */
    steady_cpu_seconds: steadyCpu,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  const { integrity } = report;
  process.exitCode =
    report.errors === 0 && integrity.missing + integrity.duplicated + integrity.damaged === 0
      ? 0
      : 1;
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await postgres?.release();
  rmSync(dir, { recursive: true, force: true });
}
