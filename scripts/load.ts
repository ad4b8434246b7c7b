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
import { integerArgument, parseCommandLine } from '../common/program.js';
import { writeKeySetup } from './key-setup.js';
import {
  childPids,
  cpuMs,
  machineTicks,
  minorFaults,
  proportionalMiB,
  spawnMailServer,
} from './lib/server-process.js';
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
  // Every client of this program comes from 127.0.0.1, which a server limits as one address.
  '--max-pending-per-address',
  String(Math.max(128, values.clients)),
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

interface CpuReading {
  /** This process (the clients), in seconds. */
  clients: number;
  /** The servers' processes alive at both readings, in seconds, by pid. */
  server: Map<number, number>;
  /** Their minor page faults, by pid. */
  faults: Map<number, number>;
  machine: ReturnType<typeof machineTicks>;
}

/** CPU used so far by this process, by each server process and by the whole machine. */
function readCpu(): CpuReading {
  const own = process.cpuUsage();
  const pids = serverProcesses();
  const server = new Map(pids.map((pid) => [pid, (cpuMs(pid) ?? 0) / 1000]));
  const faults = new Map(pids.map((pid) => [pid, minorFaults(pid) ?? 0]));
  return { clients: (own.user + own.system) / 1e6, server, faults, machine: machineTicks() };
}

/**
 * The steady state's CPU: the clients', the servers' (summed over the processes alive at both
 * ends, which in session mode are all of them), the servers' page faults, and the whole
 * machine's split, which needs no process to be found.
 */
function steadyCpuReport(start: CpuReading, end: CpuReading, operations: number) {
  const round = (value: number, places = 1): number =>
    Math.round(value * 10 ** places) / 10 ** places;
  const delta = (before: Map<number, number>, after: Map<number, number>): number =>
    [...after].reduce(
      (sum, [pid, value]) => sum + (before.has(pid) ? value - (before.get(pid) ?? 0) : 0),
      0,
    );
  const server = delta(start.server, end.server);
  const ticks = {
    user: end.machine.user - start.machine.user,
    system: end.machine.system - start.machine.system,
    idle: end.machine.idle - start.machine.idle,
    iowait: end.machine.iowait - start.machine.iowait,
  };
  const total = ticks.user + ticks.system + ticks.idle + ticks.iowait || 1;
  const percent = (part: number): number => Math.round((100 * part) / total);
  return {
    clients_seconds: round(end.clients - start.clients),
    server_seconds: round(server),
    server_ms_per_operation: operations > 0 ? round((server * 1000) / operations, 2) : null,
    server_page_faults_per_operation:
      operations > 0 ? Math.round(delta(start.faults, end.faults) / operations) : null,
    machine_percent: {
      user: percent(ticks.user),
      system: percent(ticks.system),
      iowait: percent(ticks.iowait),
      idle: percent(ticks.idle),
    },
  };
}

let memory: ReturnType<typeof serverMemory> | undefined;
let cpuAtStart: CpuReading | undefined;
let cpuAtEnd: CpuReading | undefined;
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
        cpuAtStart = readCpu();
      } else cpuAtEnd = readCpu();
    },
  });
  const output = {
    protocol: values.enhanced ? 'enhanced' : 'classic',
    store: postgres ? `PostgreSQL, ${postgres.description}` : 'maildir',
    hosts: values.hosts,
    server_args: serverArgs,
    ...report,
    memory_after_burst: memory,
    /** CPU spent during the steady state: by the clients (this process), the servers, the machine. */
    steady_cpu:
      cpuAtStart && cpuAtEnd
        ? steadyCpuReport(cpuAtStart, cpuAtEnd, report.steady.operations)
        : undefined,
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
