#!/usr/bin/env node
/**
 * `npm run load -- [options]`: a burst of clients, then a steady state, against real servers on
 * loopback: one mail-server host, or several sharing a PostgreSQL store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadServerHome } from '../mail-server/home.js';
import { isPostgresUrl, type PostgresUrl } from '../mail-server/store/open-store.js';
import { integerArgument, parseCommandLine } from '../common/program.js';
import { writeKeySetup } from './key-setup.js';
import { spawnMailServer } from './lib/server-process.js';
import { openPostgresTarget } from './lib/postgres-target.js';
import { runLoad } from './load/run-load.js';
import { readCpu, serverMemory, steadyCpuReport, type CpuReading } from './load/server-cpu.js';
import { verdicts, type RunFigures } from './load/verdicts.js';

/** A comma-separated list of whole numbers of at least `min`: "5,10,50". */
const integerList =
  (min: number) =>
  (value: string): number[] => {
    const parse = integerArgument(min);
    const list = value.split(',').map((part) => parse(part));
    if (list.length > 10) throw new InvalidArgumentError('expected at most 10 values');
    return list;
  };

const values = parseCommandLine(
  new Command('npm run load --')
    .description(
      'Concurrent protocol clients against real servers on loopback: a burst of logins, a steady state of send / list / read, then a check that every sent email is stored once and whole. With lists (--users 5,10,50, --clients-per-process 1,25) it runs each combination on a fresh server and ends with a verdict line per target.',
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
      new Option('--users <list>', 'how many users the clients share; a list runs each')
        .default([10], '10')
        .argParser(integerList(1)),
    )
    .addOption(
      new Option(
        '--clients-per-process <list>',
        "the server's --clients-per-process (1: the default mode); a list runs each",
      )
        .default([1], '1')
        .argParser(integerList(1)),
    )
    .addOption(
      new Option('--content-min <chars>', 'shortest content sent, in characters')
        .default(20)
        .argParser(integerArgument(1, 1_000_000)),
    )
    .addOption(
      new Option('--content-max <chars>', 'longest content sent, in characters')
        .default(800)
        .argParser(integerArgument(1, 1_000_000)),
    )
    .addOption(
      new Option(
        '--read-index <n>',
        'the row each round reads (from 1; beyond the inbox, its last), or "newest"',
      )
        .default(1)
        .argParser((value: string) =>
          value === 'newest' ? ('newest' as const) : integerArgument(1)(value),
        ),
    )
    .addOption(
      new Option(
        '--max-sessions <n>',
        "the server's --max-sessions (default: the server's own)",
      ).argParser(integerArgument(1)),
    )
    .option(
      '--server-args <flags>',
      'more flags for the servers, e.g. --server-args="--max-spare 8"',
    )
    .option(
      '--server-node-args <flags>',
      'options for Node in the servers and their session processes, e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"',
    )
    .addOption(
      new Option(
        '--store <store>',
        "files (the seed's layout; maildir is an alias), postgres (a throwaway cluster of this machine's PostgreSQL) or a PostgreSQL URL where a database may be made",
      ).default('files'),
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
  users: number[];
  clientsPerProcess: number[];
  contentMin: number;
  contentMax: number;
  readIndex: number | 'newest';
  maxSessions?: number;
  serverArgs?: string;
  serverNodeArgs?: string;
  store: string;
  hosts: number;
}>();

const fileStore = values.store === 'files' || values.store === 'maildir';
if (!fileStore && values.store !== 'postgres' && !isPostgresUrl(values.store)) {
  process.stderr.write('npm run load: --store is files, postgres or a PostgreSQL URL\n');
  process.exit(2);
}
if (values.hosts > 1 && fileStore) {
  process.stderr.write(
    `npm run load: --hosts ${values.hosts} needs a shared store: --store postgres\n`,
  );
  process.exit(2);
}
if (values.contentMin > values.contentMax) {
  process.stderr.write('npm run load: --content-min is larger than --content-max\n');
  process.exit(2);
}

const words = (flags: string | undefined): string[] =>
  flags?.split(/\s+/).filter((arg) => arg !== '') ?? [];

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
function postgresTexts(url: PostgresUrl, dir: string): (user: string) => Promise<string[]> {
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

/** One run on fresh servers and a fresh home: its report, and the figures of its verdicts. */
async function runOnce(
  userCount: number,
  clientsPerProcess: number,
): Promise<{ output: object; figures: RunFigures; ok: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-load-'));
  const users = Array.from({ length: userCount }, (_, i) => `client${i + 1}`);
  await writeKeySetup({ out: dir, users });
  const postgres = await openPostgresTarget(
    fileStore ? undefined : values.store === 'postgres' ? true : values.store,
  );
  const store = postgres ? await freshDatabase(postgres.url) : 'files';
  const serverArgs = [
    // Every client of this program comes from 127.0.0.1, which the server's default
    // --address-limit-exceptions leaves out of the per-address count, as for any local client.
    '--clients-per-process',
    String(clientsPerProcess),
    ...(values.maxSessions === undefined ? [] : ['--max-sessions', String(values.maxSessions)]),
    ...words(values.serverArgs),
    ...(store === 'files' ? [] : ['--store', store]),
  ];
  const servers = await Promise.all(
    Array.from({ length: values.hosts }, () =>
      spawnMailServer({
        home: join(dir, 'server'),
        enhanced: values.enhanced ?? false,
        args: serverArgs,
        nodeArgs: words(values.serverNodeArgs),
        stderr: process.env.LOAD_DEBUG ? 'inherit' : 'warnings',
      }),
    ),
  );
  const parents = servers.map((server) => server.child.pid ?? 0);
  const label = `--users ${userCount}, --clients-per-process ${clientsPerProcess}`;
  let memory: ReturnType<typeof serverMemory> | undefined;
  let cpuAtStart: CpuReading | undefined;
  let cpuAtEnd: CpuReading | undefined;
  try {
    process.stderr.write(`${label}: ${values.clients} clients logging in\n`);
    const report = await runLoad({
      dir,
      users,
      ports: servers.map((server) => server.port),
      ...(store === 'files' ? {} : { storedTexts: postgresTexts(store, dir) }),
      channel: values.enhanced ? 'enhanced' : 'classic',
      clients: values.clients,
      seconds: values.seconds,
      reconnect: values.reconnect ?? false,
      contentChars: { min: values.contentMin, max: values.contentMax },
      readIndex: values.readIndex,
      onSteadyState: (phase) => {
        if (phase === 'start') {
          memory = serverMemory(parents);
          cpuAtStart = readCpu(parents);
        } else cpuAtEnd = readCpu(parents);
      },
      onProgress: ({ seconds, operations }) => {
        process.stderr.write(
          `${label}: ${seconds} s of ${values.seconds}, ${operations} operations (${Math.round(operations / seconds)}/s)\n`,
        );
      },
    });
    const steadyCpu =
      cpuAtStart && cpuAtEnd
        ? steadyCpuReport(cpuAtStart, cpuAtEnd, report.steady.operations)
        : undefined;
    const output = {
      protocol: values.enhanced ? 'enhanced' : 'classic',
      store: postgres ? `PostgreSQL, ${postgres.description}` : 'files',
      hosts: values.hosts,
      users: userCount,
      clients_per_process: clientsPerProcess,
      content_chars: { min: values.contentMin, max: values.contentMax },
      read_index: values.readIndex,
      server_args: serverArgs,
      ...report,
      memory_after_burst: memory,
      /** CPU spent during the steady state: by the clients (this process), the servers, the machine. */
      steady_cpu: steadyCpu,
    };
    const { integrity } = report;
    process.stderr.write(
      `${label}: ${report.steady.operations_per_second} operations/s, list p50 ${report.latency_ms.list.p50} ms, server CPU ${steadyCpu?.server_ms_per_operation ?? '?'} ms per operation, last login after ${report.burst.last_ms} ms\n`,
    );
    return {
      output,
      figures: {
        users: userCount,
        clientsPerProcess,
        clients: values.clients,
        cpuMsPerOperation: steadyCpu?.server_ms_per_operation ?? null,
        lastLoginMs: report.burst.last_ms,
        loggedIn: report.burst.logged_in,
        errors: report.errors,
        sendsCompleted: integrity.sends_completed,
        storedOnceAndWhole: integrity.stored_once_and_whole,
      },
      ok: report.errors === 0 && integrity.missing + integrity.duplicated + integrity.damaged === 0,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await postgres?.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Awaited<ReturnType<typeof runOnce>>[] = [];
for (const clientsPerProcess of values.clientsPerProcess)
  for (const userCount of values.users) runs.push(await runOnce(userCount, clientsPerProcess));
const outputs = runs.map((run) => run.output);
process.stdout.write(`${JSON.stringify(outputs.length === 1 ? outputs[0] : outputs, null, 2)}\n`);
for (const verdict of verdicts(runs.map((run) => run.figures)))
  process.stderr.write(`${verdict}\n`);
process.exitCode = runs.every((run) => run.ok) ? 0 : 1;
