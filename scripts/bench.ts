#!/usr/bin/env node
/**
 * `npm run bench [-- --only PART,... --postgres [URL]]`: real servers on loopback, figures
 * printed as JSON; with --postgres, the PostgreSQL store's too (on a throwaway cluster when no
 * URL is given).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeySetup } from './key-setup.js';
import { benchProtocol } from './bench/protocol.js';
import { benchGateway } from './bench/gateway.js';
import { benchPostgres } from './bench/postgres.js';
import { benchPush } from './bench/push.js';
import { benchInbox } from './bench/inbox.js';
import { benchSessionProcess } from './bench/session-process.js';
import { benchSealed } from './bench/sealed.js';
import { openPostgresTarget, postgresOption } from './lib/postgres-target.js';
import { Command, Option } from 'commander';
import { parseCommandLine } from '../common/program.js';
import { buildThenRunBuilt, progress } from './bench/progress.js';
import { verdictLines } from './bench/verdicts.js';

const PARTS = ['protocol', 'inbox', 'session-process', 'gateway', 'push', 'sealed'] as const;
type Part = (typeof PARTS)[number];
const isPart = (name: string): name is Part => (PARTS as readonly string[]).includes(name);

const values = parseCommandLine(
  new Command('npm run bench --')
    .description(
      'Runs real servers and clients on loopback, prints the figures as JSON and a verdict line per target (met / NOT MET, the figure); progress on stderr. Builds first (npm run build), so that the figures are of the sources as they are.',
    )
    .addOption(new Option('--only <parts>', `the parts to run, of: ${PARTS.join(', ')}`))
    .addOption(postgresOption())
    .option('--no-build', 'measure the dist/ already built, without npm run build'),
  process.argv.slice(2),
).opts<{ only?: string; postgres?: string | true; build: boolean }>();
const wanted = values.only?.split(',') ?? [...PARTS];
const unknown = wanted.filter((name) => !isPart(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})\n`);
  process.exit(2);
}
const runs = (part: Part): boolean => wanted.includes(part);
if (values.build) process.exit(buildThenRunBuilt(process.argv.slice(2)));
const postgres = await openPostgresTarget(values.postgres);

const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'];
const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-bench-'));
/** A fresh key setup for each part, so that none sees another's mail. */
const freshSetup = async (): Promise<string> => {
  rmSync(dir, { recursive: true, force: true });
  await writeKeySetup({ out: dir, users: USERS });
  return dir;
};
try {
  const figures: Record<string, unknown> = {
    machine: { cpus: cpus().length, node: process.version },
  };
  if (runs('protocol')) {
    const classic = await progress.part('protocol (classic)', async () =>
      benchProtocol(await freshSetup(), 'classic'),
    );
    const enhanced = await progress.part('protocol (enhanced)', async () =>
      benchProtocol(await freshSetup(), 'enhanced'),
    );
    figures.classic = classic;
    figures.enhanced = {
      ...enhanced,
      login_ratio_to_classic:
        Math.round((enhanced.login_p50_ms / classic.login_p50_ms) * 100) / 100,
      send_ratio_to_classic:
        Math.round((enhanced.send_1M_chars_p50_ms / classic.send_1M_chars_p50_ms) * 100) / 100,
    };
  }
  if (runs('inbox'))
    figures.inbox = await progress.part('inbox', async () => benchInbox(await freshSetup()));
  if (runs('session-process'))
    figures.session_process = await progress.part('session-process', async () =>
      benchSessionProcess(await freshSetup()),
    );
  if (runs('gateway')) figures.gateway = await progress.part('gateway', () => benchGateway());
  if (runs('push'))
    figures.push = await progress.part('push (about 4 minutes)', async () =>
      benchPush(await freshSetup()),
    );
  if (runs('sealed'))
    figures.sealed = await progress.part('sealed', async () => benchSealed(await freshSetup()));
  if (postgres && runs('protocol')) {
    const onPostgres = await progress.part('protocol on PostgreSQL', async () =>
      benchPostgres(await freshSetup(), postgres.url),
    );
    const maildir = figures.classic as typeof onPostgres;
    const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    figures.postgres = {
      database: postgres.description,
      ...onPostgres,
      send_ratio_to_maildir: ratio(onPostgres.send_1M_chars_p50_ms, maildir.send_1M_chars_p50_ms),
      list_ratio_to_maildir: ratio(
        onPostgres.list_1000_emails_p50_ms,
        maildir.list_1000_emails_p50_ms,
      ),
      read_ratio_to_maildir: ratio(onPostgres.read_1M_chars_p50_ms, maildir.read_1M_chars_p50_ms),
    };
  }
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  const { lines, allMet } = verdictLines(figures, (part) => isPart(part) && runs(part));
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = allMet ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
  await postgres?.release();
}
