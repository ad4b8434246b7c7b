/** `npm start`: the whole demo comes up from nothing, works, and Ctrl-C leaves no process behind. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Browser, descendantsOf, eventually, gatewayCookie, isAlive } from '../helpers/gateway.js';
import { Spawned, distPath } from '../helpers/processes.js';

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-start-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes demo keys, starts both servers and the gateway, prints the link, and stops everything on Ctrl-C', async () => {
    const keys = join(dir, 'demo');
    const start = new Spawned('node', [
      distPath('scripts/start.js'),
      '--keys',
      keys,
      '--server-port',
      '0',
      '--enhanced-port',
      '0',
      '--listen',
      '127.0.0.1:0',
    ]);
    try {
      const line = await start.waitForLine((text) => text.includes('/?token='), 30_000, 'stdout');
      await start.waitForLine((text) => text.includes('Ctrl-C'), 5000, 'stdout');
      expect(start.stdout).toContain('client1 / password1');
      expect(start.stdout).toContain('client5 / password5');
      expect(existsSync(join(keys, 'server', 'server_private.pem'))).toBe(true);
      expect(existsSync(join(keys, 'client3', 'client3_private.pem'))).toBe(true);

      const url = new URL(/http:\/\/\S+/.exec(line)?.[0] ?? '');
      const cookie = await gatewayCookie(url.origin, url.searchParams.get('token') ?? '');
      const browser = await Browser.open(url.origin, cookie);
      expect(await browser.signIn('client1')).toMatchObject({ type: 'signedIn' });
      expect(
        await browser.request({ type: 'send', to: ['client2'], title: 'demo', content: 'works' }),
      ).toMatchObject({ type: 'sent' });
      expect(await browser.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
      // The demo runs the enhanced server too, and the gateway reaches it.
      expect(
        await browser.request({
          type: 'signIn',
          server: '',
          username: 'client2',
          password: 'password2',
          protocol: 'enhanced',
        }),
      ).toMatchObject({ type: 'signedIn', protocol: 'enhanced' });

      const pid = start.child.pid ?? -1;
      const processes = descendantsOf(pid);
      // The mail server and its session processes, the gateway and its session children.
      expect(processes.length).toBeGreaterThanOrEqual(4);
      start.child.kill('SIGINT');
      expect((await start.exited).code).toBe(0);
      await eventually(
        () => processes.every((child) => !isAlive(child)),
        15_000,
        'every demo process to exit',
      );
      expect((await browser.closed).code).toBe(1001);
    } finally {
      await start.stop('SIGKILL');
    }
  });

  it('leaves no process behind when the launcher itself is killed with SIGKILL', async () => {
    const keys = join(dir, 'demo-kill');
    const start = new Spawned('node', [
      distPath('scripts/start.js'),
      '--keys',
      keys,
      '--server-port',
      '0',
      '--enhanced-port',
      '0',
      '--listen',
      '127.0.0.1:0',
    ]);
    try {
      await start.waitForLine((text) => text.includes('Ctrl-C'), 30_000, 'stdout');
      const processes = descendantsOf(start.child.pid ?? -1);
      expect(processes.length).toBeGreaterThanOrEqual(4);
      start.child.kill('SIGKILL');
      await start.exited;
      // Before, both servers and the gateway ran on under PID 1, holding the ports.
      await eventually(
        () => processes.every((child) => !isAlive(child)),
        15_000,
        'every demo process to exit after the launcher was killed',
      );
    } finally {
      await start.stop('SIGKILL');
    }
  });
});
