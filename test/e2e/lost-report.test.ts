/**
 * A lost delivery report in the web UI (issue 22, case 7), in a real browser (Debian's
 * Chromium, driven by playwright-core) against the real gateway and enhanced mail server, with
 * the attacker's proxy between them: it drops the delivery report after the server stored the
 * email and cuts the connection. The page must not hand the email back as unsent: it says it
 * may have been delivered, and once signed in again sends it with the same id; the server
 * keeps one copy and the page shows the report as for any delivery. axe checks each screen.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDropper, type ReportDropper } from '../../scripts/attack/report-dropper.js';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, LAPTOP, PHONE, shoot } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium, undoSecondsScript } from './chromium.js';

const TITLE = 'Invoice 2026-114';
const CLASSIC_TITLE = 'Invoice 2026-115';
/** Sealed, the email's record is far larger than this; every other record of the session is smaller. */
const EMAIL_FRAME_BYTES = 2000;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('a lost delivery report in the web UI', { timeout: 180_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
  let classic: RunningServer | undefined;
  let enhanced: RunningServer | undefined;
  let dropper: ReportDropper | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    keys = await makeKeySetup(['client1', 'client2']);
    const home = serverHome(keys.dir);
    classic = await startMailServer(home);
    enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
    dropper = await reportDropper(enhanced.port, EMAIL_FRAME_BYTES);
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${classic.port}`,
      '--enhanced-server',
      `127.0.0.1:${dropper.proxy.port}`,
    ]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await leaveChromium(browser);
    await gateway?.stop();
    await dropper?.proxy.close();
    await classic?.stop();
    await enhanced?.stop();
    keys?.cleanup();
  });

  async function signIn(page: Page): Promise<void> {
    await page.getByLabel('Username').fill('client1');
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('radio', { name: 'Enhanced' }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
  }

  const copiesOf = (title: string): number =>
    readdirSync(inboxOf(need(keys).dir, 'client2')).filter((name) => name.includes(title)).length;
  const copies = (): number => copiesOf(TITLE);

  it('says the email may have been delivered, sends it again with the same id after sign-in, and the server keeps one copy', async () => {
    const context = await need(browser).newContext({ viewport: LAPTOP, colorScheme: 'light' });
    await context.addInitScript(undoSecondsScript());
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const violations: string[] = [];
    const { base, token } = need(gateway);
    await page.goto(`${base}/?token=${token}`);
    await signIn(page);

    need(dropper).arm();
    await page.keyboard.press('c');
    await page.getByLabel('To').fill('client2;');
    await page.getByLabel('Title').fill(TITLE);
    await page
      .locator('#compose-content')
      .fill(`Please pay 1,200 to account 0000-1111.\n${'Order details. '.repeat(200)}`);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const anyway = page.getByRole('button', { name: 'Send anyway' });
    if (await anyway.isVisible().catch(() => false)) await anyway.click();

    // The report was dropped after the server stored the email.
    await need(dropper).dropped;
    // The session stays and connects again (GATEWAY.md, "When the mail server goes away").
    const lost = page.getByText(
      `“${TITLE}” may have been delivered: the connection to the mail server broke before it said so.`,
      { exact: false },
    );
    await lost.first().waitFor();
    expect(copies()).toBe(1);
    // Not handed back as unsent: no composer with the email, no "kept" promise.
    await expect(page.getByText('Your email is kept').count()).resolves.toBe(0);
    await expect(page.locator('#compose-content').count()).resolves.toBe(0);
    violations.push(...(await axeViolations(page, 'lost report')));
    await shoot(page, 'lost-report-signed-out');
    await page.setViewportSize(PHONE);
    await shoot(page, 'lost-report-signed-out-phone');
    await page.setViewportSize(LAPTOP);

    // Once connected again, sent again with the same id: the first delivery's report, shown
    // as any delivery's.
    const delivered = page.locator('.notice', { hasText: 'Delivered to client2.' });
    await delivered.waitFor();
    await expect(delivered.locator('.text').textContent()).resolves.toMatch(
      /^Delivered to client2\./,
    );
    expect(copies()).toBe(1);
    violations.push(...(await axeViolations(page, 'lost report, delivered after the retry')));
    await shoot(page, 'lost-report-delivered');
    // Nothing is left waiting: a reload (which stays signed in) does not send it a third time.
    await page.reload();
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    await expect(page.getByText('may have been delivered').count()).resolves.toBe(0);
    expect(copies()).toBe(1);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('on a session without send ids, says it cannot check, and gives the email back only when asked', async () => {
    const context = await need(browser).newContext({ viewport: LAPTOP, colorScheme: 'light' });
    await context.addInitScript(undoSecondsScript());
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const { base, token } = need(gateway);
    await page.goto(`${base}/?token=${token}`);
    await signIn(page);
    need(dropper).arm();
    await page.keyboard.press('c');
    await page.getByLabel('To').fill('client2;');
    await page.getByLabel('Title').fill(CLASSIC_TITLE);
    await page.locator('#compose-content').fill(`Second try.\n${'Order details. '.repeat(200)}`);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const anyway = page.getByRole('button', { name: 'Send anyway' });
    if (await anyway.isVisible().catch(() => false)) await anyway.click();
    // The enhanced server cannot be reached again (the proxy goes), so the session cannot
    // send it again by itself; the person signs out and in again on the classic protocol.
    // Closed at the notice, well before the session's first try to connect again (0.5 s).
    await page.getByText('may have been delivered', { exact: false }).first().waitFor();
    await need(dropper).proxy.close();
    expect(copiesOf(CLASSIC_TITLE)).toBe(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The email that may have been delivered is still in view: the way on is the banner's.
    await page.getByRole('button', { name: 'Sign in again' }).click();

    // Signed in again on the classic protocol: no send ids, so nothing is sent on its own.
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('radio', { name: 'Classic' }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The enhanced server answered before and does not now: the gateway wants the classic
    // sign-in chosen explicitly (GATEWAY.md, "No silent fallback to classic").
    const inbox = page.getByRole('heading', { name: 'Inbox', exact: true });
    const fallback = page.getByLabel('Sign in without server verification');
    await Promise.race([inbox.waitFor(), fallback.waitFor()]);
    if (await fallback.isVisible()) {
      await fallback.check();
      await page.getByLabel('Password').fill('password1');
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await inbox.waitFor();
    const warning = page.locator('.notice', {
      hasText: 'To send it again without a second copy, sign in with the enhanced protocol.',
    });
    await warning.waitFor();
    expect(await axeViolations(page, 'lost report, classic session')).toEqual([]);
    await shoot(page, 'lost-report-classic');
    await warning.getByRole('button', { name: 'Move to Drafts' }).click();
    await page
      .locator('.notice', { hasText: 'It is in Drafts. It may have been delivered already' })
      .waitFor();
    expect(copiesOf(CLASSIC_TITLE)).toBe(1);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
