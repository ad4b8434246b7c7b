/**
 * Nothing goes out unsealed by surprise, in a real browser (Debian's Chromium, driven by
 * playwright-core) through the real gateway and classic server: the composer says before the
 * send whether an email will be sealed and for whom; on the classic protocol a reply to a sealed
 * email is sealed with the keyring's keys (the server stores only the armour); when it cannot be
 * (a recipient with no key on this computer), it waits for an explicit choice whose default,
 * focused, is not to send. A Forward asks the same; chosen, "Send unsealed" sends it plain.
 */
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARMOUR_BEGIN } from '../../protocol/sealed/suite.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { axeViolations, LAPTOP, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium, undoSecondsScript } from './chromium.js';

const USERS = ['client1', 'client2', 'client3'];
const SECRET = 'The merger is on Friday; tell nobody.';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)(
  'the composer says whether it seals, and a reply to sealed mail never leaks by default',
  { timeout: 180_000 },
  () => {
    let keys: { dir: string; cleanup: () => void } | undefined;
    let classic: RunningServer | undefined;
    let enhanced: RunningServer | undefined;
    let gateway: RunningGateway | undefined;
    let browser: Browser | undefined;

    beforeAll(async () => {
      if (!existsSync(join(repoRoot, 'web/dist/index.html')))
        throw new Error('web/dist is not built: run npm run build first');
      keys = await makeKeySetup(USERS);
      const home = serverHome(keys.dir);
      classic = await startMailServer(home);
      enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
      gateway = await startGatewayProcess([
        '--keys',
        keys.dir,
        '--server',
        `127.0.0.1:${classic.port}`,
        '--enhanced-server',
        `127.0.0.1:${enhanced.port}`,
      ]);
      // client2 seals "Team meeting" to client1 and client3 over the enhanced protocol.
      const { base, token } = gateway;
      const socket = await GatewaySocket.open(base, await gatewayCookie(base, token));
      await socket.request({
        type: 'signIn',
        server: '',
        username: 'client2',
        password: 'password2',
        protocol: 'enhanced',
      });
      const sent = await socket.request({
        type: 'send',
        to: ['client1', 'client3'],
        title: 'Team meeting',
        content: SECRET,
      });
      expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
      await socket.close();
      // client3's key is not on client1's computer.
      renameSync(
        join(keys.dir, 'client1', 'keyring', 'client3_public.pem'),
        join(keys.dir, 'client3_public.pem.elsewhere'),
      );
      browser = await launchChromium();
    });

    afterAll(async () => {
      await leaveChromium(browser);
      await gateway?.stop();
      await classic?.stop();
      await enhanced?.stop();
      keys?.cleanup();
    });

    const storedTexts = (user: string): string[] =>
      readdirSync(inboxOf(need(keys).dir, user)).map((file) =>
        readFileSync(join(inboxOf(need(keys).dir, user), file), 'utf8'),
      );

    async function signedIn(): Promise<Page> {
      const context = await need(browser).newContext({ viewport: LAPTOP });
      await context.addInitScript(undoSecondsScript());
      const page = await context.newPage();
      const { base, token } = need(gateway);
      await page.goto(`${base}/?token=${token}`);
      await page.getByLabel('Username').fill('client1');
      await page.getByLabel('Password').fill('password1');
      await page.getByRole('radio', { name: 'Classic' }).check();
      const fallback = page.getByLabel('Sign in without server verification');
      if (await fallback.isVisible()) await fallback.check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      return page;
    }

    it('a classic Reply all to a sealed email: says it cannot be sealed, asks with "Don’t send" focused, then seals once it can', async () => {
      const page = await signedIn();
      await page.locator('#inbox-list').getByText('Team meeting').first().click();
      await page.getByRole('heading', { name: 'Team meeting', level: 2 }).waitFor();
      await page.getByRole('button', { name: 'Reply all' }).click();
      await page.getByRole('heading', { name: 'Reply to all' }).waitFor();

      // Before the send: the composer says it will not be sealed, and why.
      const line = page.locator('#compose-sealing');
      await expect
        .poll(() => line.textContent())
        .toContain('Not sealed: client3 has no key of theirs on this computer');
      await shoot(page, 'seal-reply-not-sealable');
      expect(await axeViolations(page, 'composer: cannot be sealed')).toEqual([]);

      const before = [...storedTexts('client2'), ...storedTexts('client3')].length;
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const anyway = page.getByRole('button', { name: 'Send anyway' });
      const ask = page.getByRole('alert').filter({ hasText: 'This answers a sealed email' });
      // A name never seen is asked about first, when it is.
      await ask.or(anyway).first().waitFor();
      if (await anyway.isVisible()) await anyway.click();
      await ask.waitFor();
      await expect(page.evaluate('document.activeElement?.textContent?.trim()')).resolves.toBe(
        'Don’t send',
      );
      await shoot(page, 'seal-reply-confirm');
      expect(await axeViolations(page, 'unsealed reply confirmation')).toEqual([]);
      // The default: Enter keeps it here, and nothing reaches the server.
      await page.keyboard.press('Enter');
      await ask.waitFor({ state: 'detached' });
      await page.getByRole('heading', { name: 'Reply to all' }).waitFor();
      expect([...storedTexts('client2'), ...storedTexts('client3')].length).toBe(before);

      // Without client3 it can be sealed: the composer says for whom, and the server gets armour.
      await page.getByRole('button', { name: 'Remove client3' }).click();
      await expect.poll(() => line.textContent()).toContain('Sealed: only client2');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page
        .locator('.notice', { hasText: 'Sealed: only client2 and you can read it.' })
        .waitFor();
      const reply = storedTexts('client2').find((text) => text.includes('Title: Re: Team meeting'));
      expect(reply).toContain(ARMOUR_BEGIN);
      expect(reply).not.toContain('merger');
      expect(storedTexts('client3').some((text) => text.includes('Re: Team meeting'))).toBe(false);
      await page.context().close();
    });
    it('a classic Forward of a sealed email to a name with no key: asks with "Don’t send" focused; "Send unsealed" sends it plain', async () => {
      const page = await signedIn();
      await page.locator('#inbox-list').getByText('Team meeting').first().click();
      await page.getByRole('heading', { name: 'Team meeting', level: 2 }).waitFor();
      await page.getByRole('button', { name: 'Forward', exact: true }).click();
      await page.getByRole('heading', { name: 'Forward', exact: true }).waitFor();
      await page.getByRole('combobox', { name: 'To' }).fill('client3;');
      const line = page.locator('#compose-sealing');
      await expect
        .poll(() => line.textContent())
        .toContain('Not sealed: client3 has no key of theirs on this computer');

      const forwarded = (): string[] =>
        storedTexts('client3').filter((text) => text.includes('Title: Fwd: Team meeting'));
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const anyway = page.getByRole('button', { name: 'Send anyway' });
      const ask = page.getByRole('alert').filter({ hasText: 'This forwards a sealed email' });
      // A name never seen is asked about first, when it is.
      await ask.or(anyway).first().waitFor();
      if (await anyway.isVisible()) await anyway.click();
      await ask.waitFor();
      await expect(ask.textContent()).resolves.toMatch(
        /and it cannot be sealed\.\s*client3 has no key of theirs on this computer\.\s*Sent unsealed, its text and the sealed text it forwards/,
      );
      await expect(page.evaluate('document.activeElement?.textContent?.trim()')).resolves.toBe(
        'Don’t send',
      );
      // Asking sends nothing.
      expect(forwarded()).toEqual([]);
      await shoot(page, 'seal-forward-confirm');
      expect(await axeViolations(page, 'unsealed forward confirmation')).toEqual([]);

      // The explicit choice: it goes plain, and the server holds the sealed email's text.
      await ask.getByRole('button', { name: 'Send unsealed' }).click();
      const notice = page.locator('.notice', { hasText: 'client3' });
      await notice.waitFor();
      await expect(notice.textContent()).resolves.not.toContain('Sealed');
      await expect.poll(() => forwarded().length).toBe(1);
      const [stored] = forwarded();
      expect(stored).not.toContain(ARMOUR_BEGIN);
      expect(stored).toContain('---------- Forwarded message ----------');
      expect(stored).toContain(SECRET);
      await page.context().close();
    });
  },
);
