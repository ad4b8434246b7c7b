/**
 * The fake-server sign-in of the trust issue, in a real browser (Debian's Chromium, driven by
 * playwright-core) through the real gateway: a fake classic server that holds only client1's
 * public key accepts any password. The gateway's session child unlocks client1's key with the
 * typed password before it connects, so a wrong password signs nobody in, the fake server gets
 * not even a connection, and the gateway's own sign-in throttle counts the failure.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeClassicServer, type FakeClassicServer } from '../helpers/fake-classic-server.js';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { axeViolations, LAPTOP, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium } from './chromium.js';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)(
  'a fake server cannot sign anyone in through the gateway',
  { timeout: 120_000 },
  () => {
    let keys: { dir: string; cleanup: () => void } | undefined;
    let classic: RunningServer | undefined;
    let fake: FakeClassicServer | undefined;
    let gateway: RunningGateway | undefined;
    let browser: Browser | undefined;

    beforeAll(async () => {
      if (!existsSync(join(repoRoot, 'web/dist/index.html')))
        throw new Error('web/dist is not built: run npm run build first');
      keys = await makeKeySetup(['client1', 'client2']);
      classic = await startMailServer(serverHome(keys.dir));
      fake = await startFakeClassicServer(
        createPublicKey(readFileSync(join(serverHome(keys.dir), 'client1_public.pem'))),
      );
      gateway = await startGatewayProcess([
        '--keys',
        keys.dir,
        '--server',
        `127.0.0.1:${classic.port}`,
      ]);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await leaveChromium(browser);
      await gateway?.stop();
      await fake?.stop();
      await classic?.stop();
      keys?.cleanup();
    });

    it('a wrong password for client1 against the fake server: refused on this machine, nothing sent', async () => {
      const context = await need(browser).newContext({ viewport: LAPTOP });
      const page = await context.newPage();
      const { base, token } = need(gateway);
      await page.goto(`${base}/?token=${token}`);
      await page.getByLabel('Username').fill('client1');
      await page.getByLabel('Password').fill('not the password');
      await page.getByLabel('Server').fill(`127.0.0.1:${need(fake).port}`);
      const classicChoice = page.getByRole('radio', { name: 'Classic' });
      if (await classicChoice.isVisible()) await classicChoice.check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByText('The username or password is wrong. Check them and try again.')
        .waitFor();
      await shoot(page, 'fake-server-wrong-password');
      expect(await page.getByRole('heading', { name: 'Inbox', exact: true }).count()).toBe(0);
      expect(need(fake).connections).toBe(0);
      expect(await axeViolations(page, 'sign-in refused by the key')).toEqual([]);

      // The right password unlocks the key: the same form then signs in to the real server.
      await page.getByLabel('Password').fill('password1');
      await page.getByLabel('Server').fill(`127.0.0.1:${need(classic).port}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      expect(need(fake).connections).toBe(0);
      await context.close();
    });
  },
);
