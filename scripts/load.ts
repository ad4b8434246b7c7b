#!/usr/bin/env node
/**
 * `npm run load -- [--clients N] [--seconds S] [--enhanced] [--max-sessions M] [--store S]
 * [--hosts H]`: a load test on loopback, on one mail-server host or several sharing a
 * PostgreSQL store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeKeySetup } from './key-setup.js';
import { runLoad } from './load/run-load.js';
import { childPids, residentMiB, spawnMailServer } from './lib/server-process.js';
import { openPostgresTarget } from './lib/postgres-target.js';
import { loadServerHome } from '../mail-server/home.js';
import { isPostgresUrl, type PostgresUrl } from '../mail-server/store/open-store.js';
import { PostgresStore } from '../mail-server/store/postgres-store.js';

const USAGE = `Usage: npm run load -- [options]

  --clients N        concurrent protocol clients (default 50)
  --seconds S        how long they run (default 20)
  --enhanced         use the enhanced protocol
  --max-sessions M   the server's --max-sessions (default: the number of clients)
  --users U          how many users the clients share (default 10)
  --store S          maildir (default), postgres (a throwaway cluster of this machine's
                     PostgreSQL) or a PostgreSQL URL where a database may be made
  --hosts H          mail-server hosts sharing the PostgreSQL store (default 1); the clients
                     are spread over them, each naming the others as fallbacks
  --help             show this text`;

const { values } = parseArgs({
  options: {
    clients: { type: 'string' },
    seconds: { type: 'string' },
    enhanced: { type: 'boolean' },
    'max-sessions': { type: 'string' },
    users: { type: 'string' },
    store: { type: 'string' },
    hosts: { type: 'string' },
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
const hostCount = Number(values.hosts ?? 1);
const storeName = values.store ?? 'maildir';
if (storeName !== 'maildir' && storeName !== 'postgres' && !isPostgresUrl(storeName)) {
  process.stderr.write(`--store: maildir, postgres or a PostgreSQL URL\n\n${USAGE}\n`);
  process.exit(2);
}
if (hostCount > 1 && storeName === 'maildir') {
  process.stderr.write(`--hosts ${hostCount} needs a shared store: --store postgres\n`);
  process.exit(2);
}
for (const [name, value] of Object.entries({
  clients,
  seconds,
  maxSessions,
  userCount,
  hostCount,
})) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name} must be a positive integer\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-load-'));
const users = Array.from({ length: userCount }, (_, i) => `client${i + 1}`);
await writeKeySetup({ out: dir, users });
const postgres = await openPostgresTarget(
  storeName === 'maildir' ? undefined : storeName === 'postgres' ? true : storeName,
);
const store = postgres ? await freshDatabase(postgres.url) : 'maildir';
const servers = await Promise.all(
  Array.from({ length: hostCount }, () =>
    spawnMailServer({
      home: join(dir, 'server'),
      enhanced: values.enhanced ?? false,
      args: ['--max-sessions', String(maxSessions), '--store', store],
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

let peakChildren = 0;
let peakRss = 0;
const sampler = setInterval(() => {
  const parents = servers.map((server) => server.child.pid ?? 0);
  const pids = parents.flatMap(childPids);
  peakChildren = Math.max(peakChildren, pids.length);
  const total = [...parents, ...pids].reduce((sum, pid) => sum + (residentMiB(pid) ?? 0), 0);
  peakRss = Math.max(peakRss, total);
}, 500);
try {
  const report = await runLoad({
    dir,
    users,
    ports: servers.map((server) => server.port),
    ...(store === 'maildir' ? {} : { storedTexts: postgresTexts(store) }),
    channel: values.enhanced ? 'enhanced' : 'classic',
    clients,
    seconds,
  });
  clearInterval(sampler);
  const output = {
    protocol: values.enhanced ? 'enhanced' : 'classic',
    store: postgres ? `PostgreSQL, ${postgres.description}` : 'maildir',
    hosts: hostCount,
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
  await Promise.all(servers.map((server) => server.stop()));
  await postgres?.release();
  rmSync(dir, { recursive: true, force: true });
}
