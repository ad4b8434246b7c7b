#!/usr/bin/env node
/** `npm run load -- [--clients N] [--seconds S] [--enhanced] [--max-sessions M]`: a load test on loopback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeKeySetup } from './key-setup.js';
import { runLoad } from './load/run-load.js';
import { childPids, residentMiB, spawnMailServer } from './lib/server-process.js';

const USAGE = `Usage: npm run load -- [options]

  --clients N        concurrent protocol clients (default 50)
  --seconds S        how long they run (default 20)
  --enhanced         use the enhanced protocol
  --max-sessions M   the server's --max-sessions (default: the number of clients)
  --users U          how many users the clients share (default 10)
  --help             show this text`;

const { values } = parseArgs({
  options: {
    clients: { type: 'string' },
    seconds: { type: 'string' },
    enhanced: { type: 'boolean' },
    'max-sessions': { type: 'string' },
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
const maxSessions = Number(values['max-sessions'] ?? clients);
const userCount = Number(values.users ?? 10);
for (const [name, value] of Object.entries({ clients, seconds, maxSessions, userCount })) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name} must be a positive integer\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-load-'));
const users = Array.from({ length: userCount }, (_, i) => `client${i + 1}`);
await writeKeySetup({ out: dir, users });
const server = await spawnMailServer({
  home: join(dir, 'server'),
  enhanced: values.enhanced ?? false,
  args: ['--max-sessions', String(maxSessions)],
  stderr: process.env.LOAD_DEBUG ? 'inherit' : 'warnings',
});
let peakChildren = 0;
let peakRss = 0;
const sampler = setInterval(() => {
  const pids = childPids(server.child.pid ?? 0);
  peakChildren = Math.max(peakChildren, pids.length);
  const total = pids.reduce(
    (sum, pid) => sum + (residentMiB(pid) ?? 0),
    residentMiB(server.child.pid ?? 0) ?? 0,
  );
  peakRss = Math.max(peakRss, total);
}, 500);
try {
  const report = await runLoad({
    dir,
    users,
    port: server.port,
    channel: values.enhanced ? 'enhanced' : 'classic',
    clients,
    seconds,
  });
  clearInterval(sampler);
  const output = {
    protocol: values.enhanced ? 'enhanced' : 'classic',
    max_sessions: maxSessions,
    peak_session_processes: peakChildren,
    peak_server_rss_mib: Math.round(peakRss),
    ...report,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  const integrity = report.integrity;
  process.exitCode =
    report.errors === 0 && integrity.missing + integrity.duplicated + integrity.damaged === 0
      ? 0
      : 1;
} finally {
  clearInterval(sampler);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
