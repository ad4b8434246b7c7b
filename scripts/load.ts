#!/usr/bin/env node
/** `npm run load -- [options]`: a burst of clients, then a steady state, against a real server on loopback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeKeySetup } from './key-setup.js';
import { runLoad } from './load/run-load.js';
import { childPids, cpuMs, proportionalMiB, spawnMailServer } from './lib/server-process.js';

const USAGE = `Usage: npm run load -- [options]

  --clients N          concurrent protocol clients (default 50)
  --seconds S          how long the steady state lasts (default 20)
  --enhanced           use the enhanced protocol
  --reconnect          each round is a new session (log in, send, list, read, quit) instead of
                       one session per client held for the whole run
  --users U            how many users the clients share (default 10)
  --max-sessions M     the server's --max-sessions (default: the server's own)
  --server-args="..."  more flags for the server, e.g. --server-args="--clients-per-process 16"
  --help               show this text`;

const { values } = parseArgs({
  options: {
    clients: { type: 'string' },
    seconds: { type: 'string' },
    enhanced: { type: 'boolean' },
    reconnect: { type: 'boolean' },
    'max-sessions': { type: 'string' },
    'server-args': { type: 'string' },
    users: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const clients = Number(values.clients ?? 50);
const seconds = Number(values.seconds ?? 20);
const userCount = Number(values.users ?? 10);
const maxSessions =
  values['max-sessions'] === undefined ? undefined : Number(values['max-sessions']);
for (const [name, value] of Object.entries({
  clients,
  seconds,
  userCount,
  maxSessions: maxSessions ?? 1,
})) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name} must be a positive integer\n\n${USAGE}\n`);
    process.exit(2);
  }
}
const serverArgs = [
  ...(maxSessions === undefined ? [] : ['--max-sessions', String(maxSessions)]),
  ...(values['server-args']?.split(/\s+/).filter((arg) => arg !== '') ?? []),
];

const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-load-'));
const users = Array.from({ length: userCount }, (_, i) => `client${i + 1}`);
await writeKeySetup({ out: dir, users });
const server = await spawnMailServer({
  home: join(dir, 'server'),
  enhanced: values.enhanced ?? false,
  args: serverArgs,
  stderr: process.env.LOAD_DEBUG ? 'inherit' : 'warnings',
});

/** The server's processes and their memory, as the kernel shares it out (PSS). */
function serverMemory(): { session_processes: number; total_pss_mib: number } {
  const parent = server.child.pid ?? 0;
  const pids = childPids(parent);
  const total = [parent, ...pids].reduce((sum, pid) => sum + (proportionalMiB(pid) ?? 0), 0);
  return { session_processes: pids.length, total_pss_mib: Math.round(total) };
}

/** CPU seconds used so far by this process (the clients) and by the server's processes alive now. */
function cpuSeconds(): { clients: number; server: number } {
  const parent = server.child.pid ?? 0;
  const own = process.cpuUsage();
  const serverMs = [parent, ...childPids(parent)].reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  return { clients: (own.user + own.system) / 1e6, server: serverMs / 1000 };
}

let memory: ReturnType<typeof serverMemory> | undefined;
let cpuAtStart: ReturnType<typeof cpuSeconds> | undefined;
let steadyCpu: { clients: number; server: number } | undefined;
try {
  const report = await runLoad({
    dir,
    users,
    port: server.port,
    channel: values.enhanced ? 'enhanced' : 'classic',
    clients,
    seconds,
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
    server_args: serverArgs,
    ...report,
    memory_after_burst: memory,
    /** CPU seconds spent during the steady state, by the clients (this process) and the server. */
    steady_cpu_seconds: steadyCpu,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  const { integrity } = report;
  process.exitCode =
    report.errors === 0 && integrity.missing + integrity.duplicated + integrity.damaged === 0
      ? 0
      : 1;
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
