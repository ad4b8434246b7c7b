import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { runLoad } from '../../scripts/load/run-load.js';
import { runNode } from '../helpers/processes.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;
const users = ['client1', 'client2', 'client3', 'client4', 'client5'];

beforeAll(async () => {
  keys = await makeKeySetup(users);
  // Fewer session processes than clients: sessions queue and hand over back to back, the
  // pattern that once lost a client's "OK" while its socket changed processes.
  server = await startMailServer(serverHome(keys.dir), ['--max-sessions', '3', '--spare', '3']);
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

describe('load', () => {
  it('8 clients reconnecting over 3 session processes: no error, every completed send stored once and whole', async () => {
    const report = await runLoad({
      dir: keys.dir,
      users,
      ports: [server.port],
      channel: 'classic',
      clients: 8,
      seconds: 4,
      reconnect: true,
    });
    expect(report.error_samples).toEqual([]);
    expect(report.burst.logged_in).toBe(8);
    expect(report.latency_ms.login.count).toBeGreaterThan(8);
    expect(report.integrity.sends_completed).toBeGreaterThan(8);
    expect(report.integrity).toMatchObject({ missing: 0, duplicated: 0, damaged: 0 });
    expect(report.integrity.stored_once_and_whole).toBe(report.integrity.sends_completed);
  });

  it('npm run load prints its report and exits 0', async () => {
    const { code, stdout } = await runNode('scripts/load.js', [
      '--clients',
      '4',
      '--seconds',
      '2',
      '--users',
      '3',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      errors: number;
      burst: { logged_in: number; first_ms: number; p50_ms: number; last_ms: number };
      steady: { operations: number };
      latency_ms: Record<'send' | 'list' | 'read', { p50: number; p99: number }>;
      integrity: { missing: number; stored_once_and_whole: number; sends_completed: number };
      memory_after_burst: { session_processes: number };
    };
    expect(report.errors).toBe(0);
    expect(report.burst.logged_in).toBe(4);
    expect(report.burst.first_ms).toBeLessThanOrEqual(report.burst.last_ms);
    expect(report.steady.operations).toBeGreaterThan(0);
    expect(report.latency_ms.read.p99).toBeGreaterThanOrEqual(report.latency_ms.read.p50);
    expect(report.memory_after_burst.session_processes).toBeGreaterThanOrEqual(4);
    expect(report.integrity.missing).toBe(0);
    expect(report.integrity.stored_once_and_whole).toBe(report.integrity.sends_completed);
  });
});
