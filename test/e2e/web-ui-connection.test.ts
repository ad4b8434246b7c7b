/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * gateway and mail servers, set up once for the file by web-ui-suite.ts: what the page does when things go away: a reload with a draft, the mail server dying while an email is written, the gateway restarting.
 * With SCREENSHOTS=1, screenshots (light and dark) go to test-artifacts/; timings to test-artifacts/web-timings.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendantsOf, startGatewayProcess } from '../helpers/gateway.js';
import { serverHome } from '../helpers/keys.js';
import { startMailServer } from '../helpers/server.js';
import { LAPTOP, axeViolations, record, shoot } from './page-tools.js';
import { haveChromium, webUiSuite } from './web-ui-suite.js';

// A loaded two-core machine can take minutes over what an idle one does in seconds.
describe.skipIf(!haveChromium)(
  'web UI in Chromium: what the page does when things go away',
  { timeout: 180_000 },
  () => {
    const ui = webUiSuite();
    const { pageErrors, stopLater, gatewayArgs, openTab, signInToInbox, chips } = ui;

    it('keeps the draft through a reload, asks before leaving, says why the session ended, and lists saved drafts', async () => {
      const dora = await openTab();
      await signInToInbox(dora, 'client7');
      await dora.keyboard.press('c');
      await dora.getByLabel('To').fill('client1;');
      await dora.getByLabel('Title').fill('Half written');
      await dora.locator('#compose-content').fill('Typed before the reload.');
      // Saved a moment after the typing stops.
      await expect
        .poll(() => dora.evaluate('JSON.stringify(sessionStorage)'))
        .toContain('Typed before the reload.');

      const dialogs: string[] = [];
      dora.on('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void dialog.accept();
      });
      await dora.reload();
      expect(dialogs).toEqual(['beforeunload']);
      await dora.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      await dora
        .getByText('Your session as client7 has ended while the page was reloaded', {
          exact: false,
        })
        .waitFor();
      await dora.getByText('Your unsent email is kept; it reopens after you sign in.').waitFor();
      await expect(dora.getByLabel('Username').inputValue()).resolves.toBe('client7');
      expect(await axeViolations(dora, 'signed out by a reload')).toEqual([]);
      await shoot(dora, 'reload-signed-out');

      await dora.getByLabel('Password').fill('password7');
      await dora.getByRole('button', { name: 'Sign in' }).click();
      await dora.getByRole('heading', { name: 'New email' }).waitFor();
      await expect(dora.getByLabel('Title').inputValue()).resolves.toBe('Half written');
      await expect(dora.locator('#compose-content').inputValue()).resolves.toBe(
        'Typed before the reload.',
      );
      await expect(chips(dora)).resolves.toEqual(['client1']);

      // Closed, the draft waits in Drafts; a second one joins it.
      await dora.keyboard.press('Escape');
      await dora.keyboard.press('c');
      await dora.getByLabel('Title').fill('Another thought');
      await dora.keyboard.press('Escape');
      await dora.getByRole('button', { name: /^Drafts/ }).click();
      await dora.getByRole('heading', { name: 'Drafts', exact: true }).waitFor();
      await expect(dora.locator('.draft .title').allInnerTexts()).resolves.toEqual([
        'Another thought',
        'Half written',
      ]);
      expect(await axeViolations(dora, 'drafts')).toEqual([]);
      await shoot(dora, 'drafts');
      await dora.locator('.draft', { hasText: 'Half written' }).click();
      await expect(dora.getByLabel('Title').inputValue()).resolves.toBe('Half written');

      // With nothing unsent, leaving asks nothing.
      await dora.getByRole('button', { name: 'Close (the draft is kept)' }).click();
      await dora.reload();
      await dora.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      expect(dialogs).toEqual(['beforeunload']);
      expect(pageErrors).toEqual([]);
    });

    it('says at once that the mail server died while an email is being written, and keeps the draft', async () => {
      const mail = await startMailServer(serverHome(ui.keys.dir));
      // No background listing (--poll 0): only the gateway's own word of the lost connection can
      // tell the page, and nothing waits for a listing every few seconds to find it.
      const own = await startGatewayProcess(gatewayArgs(mail, '--poll', '0'));
      stopLater.push(
        () => own.stop(),
        () => mail.stop(),
      );
      const erin = await openTab({ via: own });
      await signInToInbox(erin, 'client8');
      await erin.keyboard.press('c');
      await erin.getByLabel('To').fill('client1;');
      await erin.getByLabel('Title').fill('Unsent words');
      await erin.locator('#compose-content').fill('Typed before the server went away.');

      // A crash, not a shutdown: the server and its session processes vanish at once.
      const serverPid = mail.process.child.pid ?? -1;
      const killedAt = Date.now();
      for (const victim of [serverPid, ...descendantsOf(serverPid)])
        process.kill(victim, 'SIGKILL');
      // The session stays and reconnects (GATEWAY.md, "When the mail server goes away").
      const lost = erin.getByRole('region', { name: 'Mail server connection' });
      await lost.waitFor();
      record('mail server killed to the page saying so (no listing), ms', Date.now() - killedAt);
      await expect(lost.textContent()).resolves.toMatch(/The mail server cannot be reached/);
      // Nothing typed vanished: the composer is still there.
      await expect(erin.locator('#compose-content').inputValue()).resolves.toBe(
        'Typed before the server went away.',
      );
      await erin.locator('#compose-content').pressSequentially(' And more.');
      expect(await axeViolations(erin, 'mail server away while writing')).toEqual([]);
      await shoot(erin, 'session-lost');

      const restarted = await startMailServer(serverHome(ui.keys.dir), [
        '--port',
        String(mail.port),
      ]);
      stopLater.push(() => restarted.stop());
      await lost.waitFor({ state: 'detached', timeout: 30_000 });
      await expect(erin.locator('#compose-content').inputValue()).resolves.toBe(
        'Typed before the server went away. And more.',
      );
      expect(pageErrors).toEqual([]);
    }, 120_000);

    it('says the gateway restarted and how to go on; the draft survives its new link opened in the same tab', async () => {
      const first = await startGatewayProcess(gatewayArgs());
      stopLater.push(() => first.stop());
      const port = new URL(first.base).port;
      const uma = await openTab({ viewport: LAPTOP, via: first });
      const dialogs: string[] = [];
      uma.on('dialog', (dialog) => dialogs.push(dialog.type()));
      await signInToInbox(uma, 'client21');
      await uma.keyboard.press('c');
      await uma.getByLabel('To').fill('client1;');
      await uma.getByLabel('Title').fill('Across a restart');
      await uma.locator('#compose-content').fill('Typed before the gateway restarted.');
      await expect
        .poll(() => uma.evaluate('JSON.stringify(sessionStorage)'))
        .toContain('Typed before the gateway restarted.');

      // The gateway goes away: the page says so, keeps the email, and keeps trying.
      await first.stop();
      await uma.getByRole('heading', { name: 'Can’t reach the gateway' }).waitFor();
      await uma.getByText('Your unsent email is kept in this tab.').waitFor();
      await shoot(uma, 'gateway-gone');

      // A new gateway process on the same port, with another data folder (another cookie key):
      // it answers, but not to this page's old cookie.
      const second = await startGatewayProcess([
        ...gatewayArgs(),
        '--listen',
        `127.0.0.1:${port}`,
        '--data',
        mkdtempSync(join(tmpdir(), 'sealed-mail-other-data-')),
      ]);
      stopLater.push(() => second.stop());
      expect(second.base).toBe(first.base);
      await uma
        .getByRole('heading', { name: 'The gateway was restarted' })
        .waitFor({ timeout: 30_000 });
      await expect(
        uma
          .locator('.gateway')
          .textContent()
          .then((text) => text?.replace(/\s+/g, ' ')),
      ).resolves.toMatch(
        /Copy the new link from the gateway’s terminal \(it has \?token=\) and open it in this tab\. Your unsent email is kept in this tab/,
      );
      await expect(uma.getByText('Trying again', { exact: false }).count()).resolves.toBe(0);
      expect(await axeViolations(uma, 'gateway restarted')).toEqual([]);
      await shoot(uma, 'gateway-restarted');

      // Its new link, pasted and opened in this tab: the tab's storage, and the email, come along.
      await uma
        .getByLabel('New link from the gateway’s terminal')
        .fill('http://elsewhere/?token=x');
      await uma.getByRole('button', { name: 'Open', exact: true }).click();
      await uma.getByText(`Paste the whole link, starting with ${second.base}/?token=`).waitFor();
      await uma
        .getByLabel('New link from the gateway’s terminal')
        .fill(`${second.base}/?token=${second.token}`);
      await uma.getByRole('button', { name: 'Open', exact: true }).click();
      await uma.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      await uma
        .getByText('The gateway was restarted, which ended your session as client21.', {
          exact: false,
        })
        .waitFor();
      await uma.getByText('Your unsent email is kept; it reopens after you sign in.').waitFor();
      await expect(uma.getByLabel('Username').inputValue()).resolves.toBe('client21');
      // The page left on purpose, for the link it was given: it did not ask.
      expect(dialogs).toEqual([]);
      await uma.getByLabel('Password').fill('password21');
      await uma.getByRole('button', { name: 'Sign in' }).click();
      await uma.getByRole('heading', { name: 'New email' }).waitFor();
      await expect(uma.getByLabel('Title').inputValue()).resolves.toBe('Across a restart');
      await expect(uma.locator('#compose-content').inputValue()).resolves.toBe(
        'Typed before the gateway restarted.',
      );
      await expect(chips(uma)).resolves.toEqual(['client1']);
      // The first gateway went away under the open page: its reconnecting is expected.
      expect(
        pageErrors.filter((text) => !/WebSocket|ERR_CONNECTION_REFUSED|401/.test(text)),
      ).toEqual([]);
    }, 180_000);
  },
);
