/**
 * The admin port of a real mail server (--admin-listen): /healthz, /readyz while the store is
 * up, down and back, /metrics parsed strictly after real logins and deliveries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { classicLoginFrom, signIn } from '../helpers/client.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { postgresUnavailable, skippedBecause, until } from '../helpers/postgres.js';
import { createServer, type AddressInfo } from 'node:net';
import { runNode } from '../helpers/processes.js';
import { startThrowawayCluster } from '../../scripts/lib/postgres-cluster.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The admin port the server logged ('admin port listening'), once it is ready. */
function adminPort(server: RunningServer): number {
  const [logged] = server.process.records('admin port listening');
  if (!logged) throw new Error('the server did not log its admin port');
  expect(logged.host).toBe('127.0.0.1');
  return logged.port as number;
}

async function get(
  port: number,
  path: string,
): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return {
    status: response.status,
    body: await response.text(),
    type: response.headers.get('content-type') ?? '',
  };
}

async function start(
  args: string[],
): Promise<{ dir: string; server: RunningServer; admin: number }> {
  const keys = await makeKeySetup();
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), ['--admin-listen', '0', ...args]);
  cleanups.push(() => server.stop());
  return { dir: keys.dir, server, admin: adminPort(server) };
}

describe('the Prometheus text parser of the tests', () => {
  it('reads a well-formed exposition and refuses malformed lines', () => {
    const families = parsePrometheusText(
      '# HELP a_total A count\n# TYPE a_total counter\na_total{x="1",y="q\\"\\n"} 3\n' +
        '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n',
    );
    expect(sampleValue(families, 'a_total', { y: 'q"\n' })).toBe(3);
    expect(sampleValue(families, 'h_count')).toBe(2);
    for (const bad of [
      'a_total 1\n', // no TYPE announced
      '# TYPE a counter\na{x="1" 1\n', // unclosed labels
      '# TYPE a counter\na one\n', // not a number
      '# TYPE a counter\na{x=1} 1\n', // unquoted label value
      '# TYPE a counter\na 1', // no final newline
    ])
      expect(() => parsePrometheusText(bad), bad).toThrow();
  });
});

describe('the admin port', () => {
  it('is alive and ready, and its metrics count logins, sessions and deliveries', async () => {
    const { dir, server, admin } = await start(['--spare', '1']);
    expect(await get(admin, '/healthz')).toMatchObject({
      status: 200,
      body: '{"status":"alive"}\n',
    });
    expect(await get(admin, '/readyz')).toMatchObject({
      status: 200,
      body: '{"status":"ready"}\n',
    });
    expect((await get(admin, '/nothing')).status).toBe(404);

    const client = await signIn(server.port, dir, 'client1');
    const content = 'measured é';
    await client.send({ to: ['client2', 'client3'], title: 'counted', content });
    await client.listInbox();
    const during = parsePrometheusText((await get(admin, '/metrics')).body);
    expect(sampleValue(during, 'sealed_mail_sessions', { protocol: 'classic' })).toBe(1);
    expect(
      sampleValue(during, 'sealed_mail_session_processes', { state: 'busy' }),
    ).toBeGreaterThanOrEqual(1);
    await client.terminate();
    expect(
      await classicLoginFrom(
        server.port,
        dir,
        { username: 'client2', password: 'wrong' },
        '127.0.0.1',
      ),
    ).toBe('refused');

    // Guesses from another address, one after another: past the free failures the throttle
    // refuses before the password is checked.
    for (let guess = 0; guess < 6; guess++)
      await classicLoginFrom(
        server.port,
        dir,
        { username: 'client3', password: 'wrong' },
        '127.0.0.3',
      );

    const scraped = await get(admin, '/metrics');
    expect(scraped.type).toContain('text/plain');
    const metrics = parsePrometheusText(scraped.body);
    expect(sampleValue(metrics, 'sealed_mail_logins_total', { outcome: 'accepted' })).toBe(1);
    const refused = sampleValue(metrics, 'sealed_mail_logins_total', { outcome: 'refused' });
    const throttled = sampleValue(metrics, 'sealed_mail_logins_total', { outcome: 'throttled' });
    expect(refused + throttled).toBe(7);
    expect(refused).toBeGreaterThanOrEqual(4);
    expect(throttled).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'sealed_mail_deliveries_total', { outcome: 'delivered' })).toBe(2);
    expect(sampleValue(metrics, 'sealed_mail_delivered_bytes_total')).toBe(
      2 * Buffer.byteLength(content),
    );
    expect(sampleValue(metrics, 'sealed_mail_store_seconds_count', { operation: 'deliver' })).toBe(
      1,
    );
    expect(sampleValue(metrics, 'sealed_mail_store_seconds_count', { operation: 'list' })).toBe(1);
    expect(metrics.get('sealed_mail_store_seconds')?.type).toBe('histogram');
    // The refused login left entries in the throttle's book (a known user and an address).
    expect(
      sampleValue(metrics, 'sealed_mail_throttle_entries', { space: 'known' }),
    ).toBeGreaterThan(0);
    const started = sampleValue(metrics, 'process_start_time_seconds');
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(120);
    for (const family of metrics.values())
      for (const sample of family.samples) expect(sample.labels.protocol).toBe('classic');
  });

  it('serves the enhanced server too, its series labelled so', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const server = await startMailServer(
      serverHome(keys.dir),
      ['--admin-listen', '127.0.0.1:0'],
      'mail-server/main-enhanced.js',
    );
    cleanups.push(() => server.stop());
    const admin = adminPort(server);
    expect((await get(admin, '/readyz')).status).toBe(200);
    const client = await signIn(server.port, keys.dir, 'client1', undefined, 'enhanced');
    await client.terminate();
    const metrics = parsePrometheusText((await get(admin, '/metrics')).body);
    expect(
      sampleValue(metrics, 'sealed_mail_logins_total', {
        protocol: 'enhanced',
        outcome: 'accepted',
      }),
    ).toBe(1);
    expect(() => sampleValue(metrics, 'sealed_mail_sessions', { protocol: 'classic' })).toThrow();
  });

  it('a port already taken stops the start with one line that says so', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      taken.close();
    });
    const port = (taken.address() as AddressInfo).port;
    const result = await runNode('mail-server/main.js', [
      '--home',
      serverHome(keys.dir),
      '--port',
      '0',
      '--admin-listen',
      String(port),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `mail server: cannot start: the admin port 127.0.0.1:${port} (--admin-listen) is in use by another program (another server on this host? give each its own port)`,
    ]);
  });

  it('is not ready while every session is in use', async () => {
    const { dir, server, admin } = await start(['--max-sessions', '1', '--spare', '1']);
    const client = await signIn(server.port, dir, 'client1');
    const busy = await get(admin, '/readyz');
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.body)).toEqual({
      status: 'not ready',
      reason: 'all 1 sessions are in use (--max-sessions)',
    });
    await client.terminate();
    await until(
      () => get(admin, '/readyz'),
      (answer) => answer.status === 200,
    );
  });
});

describe.skipIf(postgresUnavailable !== undefined)(
  `readiness with the PostgreSQL store${skippedBecause(postgresUnavailable)}`,
  () => {
    it('/readyz is 503 while the database is down and 200 when it is back; a small max_connections is warned of', async () => {
      const cluster = await startThrowawayCluster({ maxConnections: 50 });
      cleanups.push(() => cluster.destroy());
      const url = await cluster.createDatabase('mail');
      const { server, admin } = await start([
        '--store',
        url,
        '--spare',
        '1',
        '--max-sessions',
        '30',
      ]);
      expect((await get(admin, '/readyz')).status).toBe(200);

      // 2 × 30 session processes + 5 for the parent = 65 > 50 − 3 reserved.
      const warning = await server.process.waitForRecord(
        (msg) => msg.startsWith('PostgreSQL allows '),
        {},
        { timeoutMs: 10_000 },
      );
      expect(warning).toMatchObject({
        maxConnections: 50,
        reserved: 3,
        usable: 47,
        needed: 65,
        processes: 30,
      });

      await cluster.stop('fast');
      const down = await get(admin, '/readyz');
      expect(down.status).toBe(503);
      const reason = (JSON.parse(down.body) as { reason: string }).reason;
      expect(reason).toContain('store PostgreSQL');
      expect(reason).toContain(`127.0.0.1:${cluster.port}/mail`);
      expect((await get(admin, '/healthz')).status).toBe(200);

      await cluster.start();
      await until(
        () => get(admin, '/readyz'),
        (answer) => answer.status === 200,
      );
      const metrics = parsePrometheusText((await get(admin, '/metrics')).body);
      expect(
        sampleValue(metrics, 'sealed_mail_postgres_pool_connections', {
          pool: 'throttle',
          state: 'total',
        }),
      ).toBeGreaterThanOrEqual(0);
    });
  },
);
