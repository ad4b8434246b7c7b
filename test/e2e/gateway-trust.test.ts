/**
 * Issue 21, items 4 and 6, in a real Chromium against the real gateway and mail servers:
 * - a page served from another port of 127.0.0.1 tosses cookies of the gateway's name for
 *   `/session`, `/ws` and `/assets` (and then overwrites its `/` cookie): the UI still loads and
 *   signs in, and the printed link recovers the page and clears the tossed cookies;
 * - the gateway, not the browser, remembers that a server offered the enhanced protocol: with
 *   that server's enhanced port gone, a fresh browser profile is warned, Classic is not chosen
 *   for it, and the gateway refuses a classic sign-in that is not an explicit fallback.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium } from './chromium.js';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The attacker's page on another port of 127.0.0.1: it sets cookies of the gateway's name. */
async function cookieTosser(cookieName: string): Promise<{ base: string; close: () => void }> {
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'text/html');
    if (request.url === '/overwrite') {
      // An HTTP response may replace even an HttpOnly cookie of the same name and path.
      response.setHeader('set-cookie', `${cookieName}=tossed-root; Path=/; Max-Age=31536000`);
      response.end('<!doctype html><title>overwritten</title>');
      return;
    }
    response.end(
      `<!doctype html><title>tossing</title><script>
        for (const path of ['/session', '/ws', '/assets'])
          document.cookie = '${cookieName}=tossed; path=' + path + '; max-age=31536000';
        document.title = 'tossed';
      </script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe.skipIf(!haveChromium)(
  'the gateway in Chromium, against pages and ports of others',
  { timeout: 120_000 },
  () => {
    let keys: { dir: string; cleanup: () => void } | undefined;
    let classic: RunningServer | undefined;
    let browser: Browser | undefined;
    let folders: string | undefined;
    const contexts: BrowserContext[] = [];
    const stopLater: (() => Promise<void> | void)[] = [];

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      keys = await makeKeySetup(['client1', 'client2']);
      folders = mkdtempSync(join(tmpdir(), 'sealed-mail-trust-'));
      classic = await startMailServer(serverHome(keys.dir));
      browser = await launchChromium();
    });

    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      for (const stop of stopLater.splice(0).reverse()) await stop();
    });

    afterAll(async () => {
      await leaveChromium(browser);
      await classic?.stop();
      keys?.cleanup();
      if (folders !== undefined) rmSync(folders, { recursive: true, force: true });
    });

    /** The built gateway with its own data folder, the classic server and `enhanced` as defaults. */
    async function gateway(data: string, enhanced: string): Promise<RunningGateway> {
      const running = await startGatewayProcess([
        '--keys',
        need(keys).dir,
        '--data',
        data,
        '--server',
        `127.0.0.1:${need(classic).port}`,
        '--enhanced-server',
        enhanced,
        '--poll',
        '0',
      ]);
      stopLater.push(() => running.stop());
      return running;
    }

    /** A fresh browser profile (no cookies, no storage) that follows the gateway's printed link. */
    async function freshProfile(via: RunningGateway): Promise<Page> {
      const context = await need(browser).newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${via.base}/?token=${via.token}`);
      await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      return page;
    }

    async function fillSignIn(page: Page, username: string): Promise<void> {
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(`password${username.replace(/\D/g, '')}`);
    }

    it('loads and signs in with cookies of its name tossed by another port, and its link clears them', async () => {
      const running = await gateway(
        mkdtempSync(join(need(folders), 'data-')),
        `127.0.0.1:${await closedPort()}`,
      );
      const cookieName = `sealed_mail_gateway_${new URL(running.base).port}`;
      const tosser = await cookieTosser(cookieName);
      stopLater.push(tosser.close);
      const page = await freshProfile(running);
      const context = page.context();
      const ofGateway = async (): Promise<{ path: string; value: string }[]> =>
        (await context.cookies())
          .filter((cookie) => cookie.name === cookieName)
          .map(({ path, value }) => ({ path, value }));

      await page.goto(tosser.base);
      await page.waitForFunction('document.title === "tossed"');
      expect((await ofGateway()).map(({ path }) => path).sort()).toEqual([
        '/',
        '/assets',
        '/session',
        '/ws',
      ]);

      // The browser sends the tossed value first for /assets, /session and /ws.
      await page.goto(running.base);
      await page
        .getByRole('heading', { name: 'Sign in', exact: true })
        .waitFor({ timeout: 10_000 });
      await fillSignIn(page, 'client1');
      await page.getByRole('radio', { name: 'Classic' }).check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();

      // The gateway's own cookie replaced: nothing to verify now, but the link recovers the page.
      await page.goto(`${tosser.base}/overwrite`);
      await page.waitForFunction('document.title === "overwritten"');
      await page.goto(running.base);
      await page.getByRole('heading', { name: 'Sign-in link needed' }).waitFor();
      await page.goto(`${running.base}/?token=${running.token}`);
      await page
        .getByRole('heading', { name: 'Sign in', exact: true })
        .waitFor({ timeout: 10_000 });
      const left = await ofGateway();
      expect(left.map(({ path }) => path)).toEqual(['/']);
      expect(left[0]?.value).not.toMatch(/tossed/);
    });

    it('remembers that a server offered the enhanced protocol: with its enhanced port gone a fresh profile is warned, and classic needs an explicit choice', async () => {
      const data = mkdtempSync(join(need(folders), 'data-'));
      const enhanced = await startMailServer(
        serverHome(need(keys).dir),
        [],
        'mail-server/main-enhanced.js',
      );
      stopLater.push(() => enhanced.stop());
      const enhancedAddress = `127.0.0.1:${enhanced.port}`;
      const first = await gateway(data, enhancedAddress);
      const before = await freshProfile(first);
      await expect(before.getByRole('radio', { name: 'Enhanced' }).isChecked()).resolves.toBe(true);
      await fillSignIn(before, 'client2');
      await before.getByRole('button', { name: 'Sign in' }).click();
      await before.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      await expect(before.locator('.account').textContent()).resolves.toMatch(/server verified/);

      // Kept by the gateway, in private files of its data folder.
      const memory = join(data, '_enhanced-servers');
      expect(statSync(memory).mode & 0o777).toBe(0o700);
      const files = readdirSync(memory);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect(statSync(join(memory, file)).mode & 0o777).toBe(0o600);

      // The attacker drops the enhanced port; the gateway restarts; a fresh browser profile.
      await first.stop();
      await enhanced.stop();
      const second = await gateway(data, enhancedAddress);
      const page = await freshProfile(second);
      const warning = page.locator('#downgrade-warning');
      await warning.waitFor();
      await expect(warning.textContent()).resolves.toContain(enhancedAddress);
      await expect(page.getByRole('radio', { name: 'Classic' }).isChecked()).resolves.toBe(false);
      await expect(page.getByRole('radio', { name: 'Enhanced' }).isChecked()).resolves.toBe(false);

      // The gateway enforces it too, whatever the page sends.
      const socket = await GatewaySocket.open(
        second.base,
        await gatewayCookie(second.base, second.token),
      );
      stopLater.push(() => socket.close());
      for (const server of ['', `127.0.0.1:${need(classic).port}`]) {
        const refused = await socket.request({
          type: 'signIn',
          server,
          username: 'client1',
          password: 'password1',
          protocol: 'classic',
        });
        expect(refused).toMatchObject({ type: 'error', code: 'UNVERIFIED_FALLBACK' });
      }

      // Choosing Classic is not enough: the fallback must be confirmed.
      await fillSignIn(page, 'client2');
      await page.getByRole('radio', { name: 'Classic' }).check();
      const confirm = page.getByRole('checkbox', { name: 'Sign in without server verification' });
      await expect(confirm.isChecked()).resolves.toBe(false);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Sign in without server verification' })
        .waitFor();
      expect(await axeViolations(page, 'sign-in, enhanced server gone')).toEqual([]);
      await shoot(page, 'sign-in-unverified-fallback');
      await confirm.check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      await expect(page.locator('.account').textContent()).resolves.toMatch(/Classic protocol/);
    });
  },
);
