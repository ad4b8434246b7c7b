#!/usr/bin/env node
/** `npm run bench`: real servers on loopback, figures printed as JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeySetup } from './key-setup.js';
import { benchProtocol } from './bench/protocol.js';
import { benchGateway } from './bench/gateway.js';

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
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
