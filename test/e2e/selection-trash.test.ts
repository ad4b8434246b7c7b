/**
 * Issue 26, item 6, in a real browser (Debian's Chromium, driven by playwright-core) against
 * the real gateway and mail servers: ticking emails (click, shift-click, Ctrl-click, Space,
 * Shift with an arrow, select all), read and unread on the ticked ones, mark all read on 10,002
 * emails (kept by the gateway's session process, so a new session shows them read), and the
 * Trash: moved there with Undo, restored, emptied (deleted on the enhanced server's disk; on the
 * classic protocol, local only and said so), and expired after --trash-days. axe-core checks
 * each new screen; the timings a user feels are recorded (test-artifacts/web-timings.json).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatStoredEmail } from '../../protocol/email.js';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import {
  artifacts,
  axeViolations,
  coveredControls,
  longestTask,
  picture,
  record,
  recordLongTasks,
} from './page-tools.js';
import {
  deliver,
  haveChromium,
  launchChromium,
  leaveChromium,
  PHONE_844,
  signedInTab,
} from './tabs.js';

const USERS = ['client1', 'client2', 'client3', 'client4'];
const BIG_INBOX = 'client3';
const BIG_INBOX_SIZE = 10_002;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

/** Email files written straight into an inbox, as the server stores them. */
function fillInbox(dir: string, user: string, count: number): void {
  const start = Date.UTC(2024, 0, 1, 9);
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    const title = `Report ${String(i).padStart(5, '0')}`;
    const text = formatStoredEmail(
      { from: 'ana', to: [user], title, content: `Row ${i}` },
      `${at.slice(0, 10)} ${at.slice(11, 19)}.000001`,
    );
    writeFileSync(join(inboxOf(dir, user), `ana_${title}.txt`), text, { mode: 0o600 });
  }
}

describe.skipIf(!haveChromium)('many emails at once, and the Trash', { timeout: 240_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
  let classic: RunningServer | undefined;
  let enhanced: RunningServer | undefined;
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const gatewayArgs = (): string[] => [
    '--keys',
    need(keys).dir,
    '--server',
    `127.0.0.1:${need(classic).port}`,
    '--enhanced-server',
    `127.0.0.1:${need(enhanced).port}`,
    '--poll',
    '1',
  ];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    keys = await makeKeySetup(USERS);
    fillInbox(keys.dir, BIG_INBOX, BIG_INBOX_SIZE);
    const home = serverHome(keys.dir);
    classic = await startMailServer(home);
    enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
    gateway = await startGatewayProcess(gatewayArgs());
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
    vi.setConfig({ expect: { poll: { timeout: 20_000 } } });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    pageErrors.length = 0;
  });

  const tab = (
    username: string,
    protocol: 'enhanced' | 'classic' = 'enhanced',
    on: RunningGateway = need(gateway),
  ): Promise<Page> =>
    signedInTab(need(browser), on, username, { protocol, errors: pageErrors, contexts });

  const rowOf = (page: Page, title: string) =>
    page.locator('#inbox-list [role="option"]', { hasText: title });
  const titles = (page: Page): Promise<string[]> =>
    page.locator('#inbox-list [role="option"] .title').allInnerTexts();
  const fileCount = (user: string): number => readdirSync(inboxOf(need(keys).dir, user)).length;

  /** The inode of the user's marks file: the gateway replaces it whole at each change it keeps. */
  const marksFile = (user: string): number => {
    const path = join(need(keys).dir, '.gateway-data', user, 'marks.sealed');
    return existsSync(path) ? statSync(path).ino : 0;
  };

  it('marks all 10,002 emails read in one action, kept by the gateway for the next session; select all, Space, Shift+arrows and mark unread', async () => {
    const violations: string[] = [];
    const page = await tab(BIG_INBOX);
    await expect.poll(() => page.locator('.head .count').innerText()).toBe('10,002 emails');
    await expect.poll(() => page.title()).toBe('Inbox (10002) · Sealed Mail');
    violations.push(...(await axeViolations(page, 'inbox with the bulk bar')));

    // Select all: every email of the list ticked, the bar says how many.
    await recordLongTasks(page);
    let started = Date.now();
    await page.getByRole('checkbox', { name: 'Select all' }).check();
    await page.getByText('10,002 emails selected').waitFor();
    record('select all of 10,002 emails (click to "10,002 emails selected")', Date.now() - started);
    record('select all: longest main-thread task (ms)', await longestTask(page));
    await expect(
      page.locator('#inbox-list [role="option"][aria-selected="true"]').count(),
    ).resolves.toBeGreaterThan(5);
    violations.push(...(await axeViolations(page, 'all selected')));
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.getByText('Select all').waitFor();

    // Mark all read: the unread count is gone at once, in one request to the gateway.
    let kept = marksFile(BIG_INBOX);
    await recordLongTasks(page);
    started = Date.now();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => page.title(), { interval: 5 }).toBe('Inbox · Sealed Mail');
    record('mark all read on 10,002 emails (click to no unread left)', Date.now() - started);
    record('mark all read: longest main-thread task (ms)', await longestTask(page));
    await expect(page.locator('#inbox-list .row.unread').count()).resolves.toBe(0);
    await expect.poll(() => marksFile(BIG_INBOX)).not.toBe(kept);
    kept = marksFile(BIG_INBOX);
    await page.locator('.notice', { hasText: '10,002 emails marked read.' }).waitFor();
    // The list scrolls as fast as before: the rows shown are a window of the 10,002.
    await expect(page.locator('#inbox-list [role="option"]').count()).resolves.toBeLessThan(60);

    // The keys are in the shortcuts dialog.
    await page.locator('#inbox-list').focus();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.getByText('Tick the email under the cursor, for an action on many').waitFor();
    await help.getByText('Tick emails as the cursor moves').waitFor();
    await help.getByText('Tick every email shown, or none').waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // The keyboard: x ticks the row under the cursor, Shift+ArrowDown ticks on as it moves.
    await page.locator('#inbox-list').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('x');
    await page.getByText('1 email selected').waitFor();
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await page.getByText('3 emails selected').waitFor();
    await page.keyboard.press(' ');
    await page.getByText('2 emails selected').waitFor();
    await page.keyboard.press('Shift+ArrowUp');
    await page.getByText('3 emails selected').waitFor();
    await page.getByRole('button', { name: 'Mark unread' }).click();
    await expect.poll(() => page.title()).toBe('Inbox (3) · Sealed Mail');
    await expect.poll(() => marksFile(BIG_INBOX)).not.toBe(kept);
    await expect(page.locator('#inbox-list .row.unread .title').allInnerTexts()).resolves.toEqual([
      'Report 10001',
      'Report 10000',
      'Report 09999',
    ]);

    // A new session (another browser profile) of the same user: the gateway kept the marks.
    const again = await tab(BIG_INBOX);
    await expect.poll(() => again.locator('.head .count').innerText()).toBe('10,002 emails');
    await expect.poll(() => again.title()).toBe('Inbox (3) · Sealed Mail');
    // Ctrl+A in the list ticks all; Mark read clears the three.
    await again.locator('#inbox-list').focus();
    await again.keyboard.press('Control+a');
    await again.getByText('10,002 emails selected').waitFor();
    await again.getByRole('button', { name: 'Mark read', exact: true }).click();
    await expect.poll(() => again.title()).toBe('Inbox · Sealed Mail');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('moves ticked emails to the Trash with Undo, restores them, and empties the Trash on the enhanced server', async () => {
    const violations: string[] = [];
    for (const title of ['Trash one', 'Trash two', 'Trash three', 'Trash four'])
      await deliver(need(gateway), 'client2', ['client1'], title, `About ${title}`);
    const before = fileCount('client1');
    const page = await tab('client1');
    await rowOf(page, 'Trash four').waitFor();

    // Click one box, shift-click another: the range between them is ticked.
    await rowOf(page, 'Trash four').locator('.check').click();
    await rowOf(page, 'Trash two')
      .locator('.check')
      .click({ modifiers: ['Shift'] });
    await page.getByText('3 emails selected').waitFor();
    await page.getByRole('button', { name: 'Move to Trash' }).click();
    await expect.poll(() => titles(page)).toEqual(['Trash one']);
    // Undo brings them back.
    await page.locator('.notice', { hasText: '3 emails moved to the Trash' }).waitFor();
    violations.push(...(await axeViolations(page, 'moved to the Trash')));
    await page.locator('.notice').getByRole('button', { name: 'Undo' }).click();
    await expect
      .poll(() => titles(page))
      .toEqual(['Trash four', 'Trash three', 'Trash two', 'Trash one']);

    // Ctrl-click on a row ticks it, or unticks it, and opens nothing, as file lists do.
    const ticked = (): Promise<string[]> =>
      page.locator('#inbox-list [role="option"][aria-selected="true"] .title').allInnerTexts();
    for (const title of ['Trash four', 'Trash two', 'Trash three'])
      await rowOf(page, title)
        .locator('.title')
        .click({ modifiers: ['Control'] });
    await page.getByText('3 emails selected').waitFor();
    await rowOf(page, 'Trash two')
      .locator('.title')
      .click({ modifiers: ['Control'] });
    await page.getByText('2 emails selected').waitFor();
    await expect.poll(ticked).toEqual(['Trash four', 'Trash three']);
    await expect(page.locator('#inbox-list .row.opened').count()).resolves.toBe(0);
    violations.push(...(await axeViolations(page, 'ticked with Ctrl-click')));

    // Again, with the Delete key on the ticked ones; then the Trash lists them.
    await page.locator('#inbox-list').focus();
    await page.keyboard.press('Delete');
    await expect.poll(() => titles(page)).toEqual(['Trash two', 'Trash one']);
    await page
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('button', { name: 'Trash' })
      .click();
    await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
    await expect.poll(() => titles(page)).toEqual(['Trash four', 'Trash three']);
    await page.getByText('Emails stay here 30 days, then are deleted from the server.').waitFor();
    violations.push(...(await axeViolations(page, 'Trash')));
    await picture(page, join(artifacts, 'trash-1280.png'));

    // An email of the Trash opens; Restore puts it back in the inbox.
    await rowOf(page, 'Trash three').click();
    await page.getByRole('heading', { level: 2, name: 'Trash three', exact: true }).waitFor();
    await expect(
      page.getByRole('button', { name: 'Delete the selected email for good' }).count(),
    ).resolves.toBe(1);
    await rowOf(page, 'Trash three').locator('.check').click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => titles(page)).toEqual(['Trash four']);
    await page.locator('.notice', { hasText: '1 email restored to the inbox.' }).waitFor();

    // Emptying asks first, with the safe choice focused; then deletes on the server's disk.
    await page.getByRole('button', { name: 'Empty the Trash' }).click();
    await page
      .getByText('Delete 1 email from the server for good? This cannot be undone.')
      .waitFor();
    await expect
      .poll(() => page.evaluate<string>('document.activeElement?.textContent ?? ""'))
      .toBe('Keep them');
    violations.push(...(await axeViolations(page, 'empty the Trash?')));
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.locator('.notice', { hasText: '1 email deleted from the server.' }).waitFor();
    expect(fileCount('client1')).toBe(before - 1);
    await page.getByText('Your Trash is empty').waitFor();
    violations.push(...(await axeViolations(page, 'empty Trash')));

    // The inbox has the other three, in a new session too.
    const again = await tab('client1');
    await expect.poll(() => titles(again)).toEqual(['Trash three', 'Trash two', 'Trash one']);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('on the classic protocol the Trash is this computer only, and says so when emptying', async () => {
    const violations: string[] = [];
    await deliver(need(gateway), 'client2', ['client4'], 'Classic trash', 'Gone here only');
    await deliver(need(gateway), 'client2', ['client4'], 'Classic keep', 'Stays');
    const before = fileCount('client4');
    const page = await tab('client4', 'classic');
    await rowOf(page, 'Classic trash').locator('.check').click();
    await page.getByRole('button', { name: 'Move to Trash' }).click();
    await expect.poll(() => titles(page)).toEqual(['Classic keep']);
    await page
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('button', { name: 'Trash' })
      .click();
    await page
      .getByText(
        'Emails stay here 30 days. The classic protocol cannot delete: emptying the Trash removes them from this computer only; they stay on the server.',
      )
      .waitFor();
    await page.getByRole('button', { name: 'Empty the Trash' }).click();
    await page
      .getByText(/^Remove 1 email from the Trash for good\? The classic protocol cannot delete/)
      .waitFor();
    violations.push(...(await axeViolations(page, 'empty the classic Trash?')));
    await page.getByRole('button', { name: 'Remove for good' }).click();
    await page
      .locator('.notice', { hasText: 'they stay on the server, never shown here again' })
      .waitFor();
    expect(fileCount('client4')).toBe(before);
    // A new session does not show it either.
    const again = await tab('client4', 'classic');
    await expect.poll(() => titles(again)).toEqual(['Classic keep']);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('fits the bulk bar, the folder tabs and the Trash on a phone (390×844), nothing covered, axe clean', async () => {
    const violations: string[] = [];
    await deliver(need(gateway), 'client2', ['client1'], 'Phone trash', 'On a phone');
    const page = await signedInTab(need(browser), need(gateway), 'client1', {
      viewport: PHONE_844,
      errors: pageErrors,
      contexts,
    });
    await rowOf(page, 'Phone trash').locator('.check').click();
    await page.getByText('1 email selected').waitFor();
    // Nothing wider than the phone: four tabs with a count, and the bar's buttons, wrap or fit.
    for (const part of ['.tabs', '.list-pane', '.bulk'])
      await expect(
        page.evaluate<number>(`document.querySelector('${part}').getBoundingClientRect().right`),
      ).resolves.toBeLessThanOrEqual(PHONE_844.width);
    await expect(coveredControls(page)).resolves.toEqual([]);
    violations.push(...(await axeViolations(page, 'phone, one ticked')));
    await picture(page, join(artifacts, 'bulk-390.png'));
    await page.getByRole('button', { name: 'Move to Trash' }).click();
    await page
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('button', { name: 'Trash' })
      .click();
    await rowOf(page, 'Phone trash').waitFor();
    const tabs = await page.locator('.tabs').boundingBox();
    expect(need(tabs ?? undefined).width).toBeLessThanOrEqual(PHONE_844.width);
    await expect(coveredControls(page)).resolves.toEqual([]);
    violations.push(...(await axeViolations(page, 'phone Trash')));
    await picture(page, join(artifacts, 'trash-390.png'));
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('removes from the server what has been in the Trash its time (--trash-days 0: at the next sign-in)', async () => {
    await deliver(need(gateway), 'client4', ['client2'], 'Expires', 'Soon gone');
    const page = await tab('client2');
    await rowOf(page, 'Expires').locator('.check').click();
    await page.getByRole('button', { name: 'Move to Trash' }).click();
    await page.locator('.notice', { hasText: '1 email moved to the Trash' }).waitFor();
    const before = fileCount('client2');
    const quick = await startGatewayProcess([...gatewayArgs(), '--trash-days', '0']);
    try {
      const next = await tab('client2', 'enhanced', quick);
      // The expiry runs as the session's marks load, before its first listing.
      await expect.poll(() => fileCount('client2')).toBe(before - 1);
      await expect(rowOf(next, 'Expires').count()).resolves.toBe(0);
      await next
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Trash' })
        .click();
      await next.getByText('Your Trash is empty').waitFor();
    } finally {
      await quick.stop();
    }
    expect(pageErrors).toEqual([]);
  });
});
