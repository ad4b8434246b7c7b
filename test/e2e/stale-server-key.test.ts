/**
 * A stale server key in a real browser (Debian's Chromium) through the real gateway: client1's
 * key folder holds another server's server_public.pem, so the classic login is sealed to a key
 * the server does not hold, and the server answers as to a wrong password. The sign-in form
 * names both causes and what to do; a wrong password, refused on this computer, names only it.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { LAPTOP, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium } from './chromium.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('a client holding a stale server key', { timeout: 120_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
  let classic: RunningServer | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    keys = await makeKeySetup(['client1']);
    classic = await startMailServer(serverHome(keys.dir));
    // client1's own key, and another server's public key (an old bundle, a rotated key).
    const stale = join(keys.dir, 'stale-bundle');
    mkdirSync(stale, { mode: 0o700 });
    copyFileSync(
      join(keys.dir, 'client1', 'client1_private.pem'),
      join(stale, 'client1_private.pem'),
    );
    const other = testRsaKeyPair('other server');
    writeFileSync(
      join(stale, 'server_public.pem'),
      other.publicKey.export({ type: 'spki', format: 'pem' }),
    );
    gateway = await startGatewayProcess(['--keys', stale, '--server', `127.0.0.1:${classic.port}`]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await leaveChromium(browser);
    await gateway?.stop();
    await classic?.stop();
    keys?.cleanup();
  });

  async function signIn(page: Page, password: string): Promise<void> {
    await page.getByLabel('Username').fill('client1');
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Server').fill(`127.0.0.1:${need(classic).port}`);
    const classicChoice = page.getByRole('radio', { name: 'Classic' });
    if (await classicChoice.isVisible()) await classicChoice.check();
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('the right password: the form says the password may be wrong or the server key stale, and what to do', async () => {
    const context = await need(browser).newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    const { base, token } = need(gateway);
    await page.goto(`${base}/?token=${token}`);
    await signIn(page, 'password1');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/stale bundle/);
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('The server refused “client1”: the username or password may be wrong.');
    expect(text).toContain(
      "The server may hold another key than this computer's server_public.pem (a stale bundle: ask the administrator for a new one, sealed-mail-admin keys client1)",
    );
    expect(text).toContain('The classic protocol cannot tell these apart.');
    await shoot(page, 'stale-server-key');

    // A wrong password does not unlock the key here: nothing reaches the server, and the
    // form names the password alone.
    await signIn(page, 'not the password');
    await expect
      .poll(async () => (await alert.textContent())?.trim())
      .toBe('The username or password is wrong. Check them and try again.');
    expect(await page.getByRole('heading', { name: 'Inbox', exact: true }).count()).toBe(0);
    await context.close();
  });
});
