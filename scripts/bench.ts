#!/usr/bin/env node
/**
 * `npm run bench [-- --postgres [URL]]`: real servers on loopback, figures printed as JSON;
 * with --postgres, the PostgreSQL store's too (on a throwaway cluster when no URL is given).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeySetup } from './key-setup.js';
import { benchProtocol } from './bench/protocol.js';
import { benchGateway } from './bench/gateway.js';
import { benchPostgres } from './bench/postgres.js';
import { postgresTarget } from './lib/postgres-target.js';

const postgres = await postgresTarget(process.argv.slice(2), 'npm run bench --');

const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-bench-'));
try {
  await writeKeySetup({ out: dir, users: ['client1', 'client2', 'client3', 'client4', 'client5'] });
  const figures: Record<string, unknown> = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  figures.classic = await benchProtocol(dir, 'classic');
  {
    rmSync(dir, { recursive: true, force: true });
    await writeKeySetup({
      out: dir,
      users: ['client1', 'client2', 'client3', 'client4', 'client5'],
    });
    const enhanced = await benchProtocol(dir, 'enhanced');
    const classic = figures.classic as typeof enhanced;
    figures.enhanced = {
      ...enhanced,
      login_ratio_to_classic:
        Math.round((enhanced.login_p50_ms / classic.login_p50_ms) * 100) / 100,
      send_ratio_to_classic:
        Math.round((enhanced.send_1M_chars_p50_ms / classic.send_1M_chars_p50_ms) * 100) / 100,
    };
  }
  figures.gateway = await benchGateway();
  if (postgres) {
    const onPostgres = await benchPostgres(dir, postgres.url);
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
} finally {
  rmSync(dir, { recursive: true, force: true });
  await postgres?.release();
}
