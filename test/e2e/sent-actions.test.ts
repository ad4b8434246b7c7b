/**
 * Issue 26, item 8, in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real gateway and mail servers: Sent has the inbox's reply, reply all, forward (the buttons and
 * the r, a, f keys), search and sort, with the inbox's own components. axe-core checks each new
 * screen.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium, signedInTab } from './tabs.js';

const USERS = ['client1', 'client2', 'client3'];

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)(
  'Sent: reply, forward, search and sort',
  { timeout: 180_000 },
  () => {
    let keys: { dir: string; cleanup: () => void } | undefined;
    let classic: RunningServer | undefined;
    let enhanced: RunningServer | undefined;
    let gateway: RunningGateway | undefined;
    let browser: Browser | undefined;
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(join(repoRoot, 'web/dist/index.html')))
        throw new Error('web/dist is not built: run npm run build first');
      mkdirSync(artifacts, { recursive: true });
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
      browser = await launchChromium();
    });

    afterAll(async () => {
      await leaveChromium(browser);
      await gateway?.stop();
      await classic?.stop();
      await enhanced?.stop();
      keys?.cleanup();
    });

    beforeEach(() => {
      vi.setConfig({ expect: { poll: { timeout: 10_000 } } });
    });

    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      pageErrors.length = 0;
    });

    async function send(page: Page, to: string, title: string, content: string): Promise<void> {
      await page.keyboard.press('c');
      await page.getByLabel('To').fill(to);
      await page.getByLabel('Title').fill(title);
      await page.locator('#compose-content').fill(content);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const anyway = page.getByRole('button', { name: 'Send anyway' });
      const delivered = page.locator('.notice', {
        hasText: `Delivered to ${to.replace(/;$/, '').split(';').join(', ')}`,
      });
      await delivered.or(anyway).first().waitFor();
      if (await anyway.isVisible()) await anyway.click();
      await delivered.waitFor();
    }

    const sentTitles = (page: Page): Promise<string[]> =>
      page.locator('#sent-list .title').allInnerTexts();

    it('replies to, forwards, searches and sorts sent emails', async () => {
      const violations: string[] = [];
      const page = await signedInTab(need(browser), need(gateway), 'client1', {
        errors: pageErrors,
        contexts,
      });
      await send(page, 'client2;', 'Budget for March', 'The numbers are in.');
      await send(page, 'client3;', 'Agenda', 'Item one.\nItem two.');
      await send(page, 'client2;client3;', 'Picnic', 'Saturday at noon.');

      await page
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Sent' })
        .click();
      await page.getByRole('heading', { name: 'Sent', exact: true }).waitFor();
      await expect.poll(() => sentTitles(page)).toEqual(['Picnic', 'Agenda', 'Budget for March']);

      // Sort as the inbox sorts: by title, by recipient, oldest first.
      await page.getByLabel('Sort by').selectOption({ label: 'Title A–Z' });
      await expect.poll(() => sentTitles(page)).toEqual(['Agenda', 'Budget for March', 'Picnic']);
      await page.getByLabel('Sort by').selectOption({ label: 'Recipient Z–A' });
      await expect.poll(() => sentTitles(page)).toEqual(['Agenda', 'Picnic', 'Budget for March']);
      await page.getByLabel('Sort by').selectOption({ label: 'Oldest first' });
      await expect.poll(() => sentTitles(page)).toEqual(['Budget for March', 'Agenda', 'Picnic']);

      // Search as the inbox searches: words, from: (here the recipients), title:.
      const search = page.getByLabel('Search Sent');
      await search.fill('budget');
      await expect.poll(() => sentTitles(page)).toEqual(['Budget for March']);
      await expect(page.locator('#sent-list mark').first().innerText()).resolves.toBe('Budget');
      await page.locator('.head .count', { hasText: '1 match of 3 emails' }).waitFor();
      await search.fill('from:client3');
      await expect.poll(() => sentTitles(page)).toEqual(['Agenda', 'Picnic']);
      violations.push(...(await axeViolations(page, 'Sent searched')));
      await search.fill('nothing like this');
      await page.getByText('No sent email matches.').waitFor();
      await search.press('Escape');
      await expect.poll(() => sentTitles(page)).toHaveLength(3);

      /** A reply to Picnic: to its recipients again, titled Re:, the quote under an empty line. */
      const expectPicnicReply = async (): Promise<void> => {
        await expect(page.locator('.chip > span:first-child').allInnerTexts()).resolves.toEqual([
          'client2',
          'client3',
        ]);
        await expect(page.getByLabel('Title').inputValue()).resolves.toBe('Re: Picnic');
        await expect(page.locator('#compose-content').inputValue()).resolves.toMatch(
          /^\n\nOn \d{4}-\d\d-\d\d \d\d:\d\d, client1 wrote:\n> Saturday at noon\.$/,
        );
      };

      // Reply: to the recipients again, the quote under the caret.
      await page.locator('#sent-list .item', { hasText: 'Picnic' }).click();
      await page.getByRole('heading', { level: 2, name: 'Picnic' }).waitFor();
      violations.push(...(await axeViolations(page, 'a sent email with its actions')));
      await page.getByRole('button', { name: 'Reply', exact: true }).click();
      await page.getByRole('heading', { name: 'Reply', exact: true }).waitFor();
      await expectPicnicReply();
      violations.push(...(await axeViolations(page, 'reply from Sent')));
      await page.getByRole('button', { name: 'Close (the draft is kept)' }).click();

      // Reply all: every recipient again (the sender is this user), the caret above the quote.
      await page
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Sent' })
        .click();
      await page.locator('#sent-list .item', { hasText: 'Picnic' }).click();
      await page.getByRole('heading', { level: 2, name: 'Picnic' }).waitFor();
      await page.getByRole('button', { name: 'Reply all', exact: true }).click();
      await page.getByRole('heading', { name: 'Reply to all', exact: true }).waitFor();
      await expectPicnicReply();
      await expect
        .poll(() =>
          page.evaluate<[number, number, string]>(
            "(() => { const box = document.getElementById('compose-content'); return [box.selectionStart, box.selectionEnd, document.activeElement?.id ?? '']; })()",
          ),
        )
        .toEqual([0, 0, 'compose-content']);
      violations.push(...(await axeViolations(page, 'reply all from Sent')));
      await page.getByRole('button', { name: 'Close (the draft is kept)' }).click();

      // Forward, by its key: the "Forwarded message" block, nobody addressed yet.
      await page
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Sent' })
        .click();
      await page.locator('#sent-list .item', { hasText: 'Agenda' }).click();
      await page.getByRole('heading', { level: 2, name: 'Agenda' }).waitFor();
      await page.locator('#sent-title').click();
      await page.keyboard.press('f');
      await page.getByRole('heading', { name: 'Forward', exact: true }).waitFor();
      await expect(page.getByLabel('Title').inputValue()).resolves.toBe('Fwd: Agenda');
      await expect(page.locator('#compose-content').inputValue()).resolves.toMatch(
        /^\n\n---------- Forwarded message ----------\nFrom: client1\nDate: [^\n]+\nTitle: Agenda\nTo: client3\n\nItem one\.\nItem two\.$/,
      );
      await expect(page.locator('.chip').count()).resolves.toBe(0);
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  },
);
