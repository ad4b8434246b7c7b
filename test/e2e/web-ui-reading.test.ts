/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * gateway and mail servers, set up once for the file by web-ui-suite.ts: reading: read and hidden marks, a 1,000,000-character email, 10,000 rows in a window, and axe-core on every screen.
 * With SCREENSHOTS=1, screenshots (light and dark) go to test-artifacts/; timings to test-artifacts/web-timings.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../helpers/gateway.js';
import {
  PHONE,
  WIDE,
  axeViolations,
  frameMs,
  longestTask,
  record,
  recordLongTasks,
  shoot,
} from './page-tools.js';
import { BIG_INBOX, MARKS_USER, endHold, haveChromium, need, webUiSuite } from './web-ui-suite.js';

// A loaded two-core machine can take minutes over what an idle one does in seconds.
describe.skipIf(!haveChromium)('web UI in Chromium: reading', { timeout: 180_000 }, () => {
  const ui = webUiSuite({ bigInboxes: true });
  const {
    pageErrors,
    stopLater,
    gatewayArgs,
    openTab,
    requestsOf,
    signIn,
    signInToInbox,
    deliver,
    keyLatencies,
    focusedId,
  } = ui;

  it('keeps read and hidden marks per user through a reload, brings the open email into view on a new sort, resets Show original, and keeps phone rows clear', async () => {
    const fay = await openTab();
    await signInToInbox(fay, MARKS_USER);
    const unreadDots = (): Promise<number> => fay.locator('.row .dot').count();
    await expect(fay.getByRole('button', { name: /^Inbox 40 unread/ }).count()).resolves.toBe(1);

    // Read one, hide one; both survive a reload (kept per user in this browser).
    await fay.getByRole('option', { name: /Note 39/ }).click();
    await fay.getByRole('heading', { name: 'Note 39' }).waitFor();
    await fay.keyboard.press('j');
    await fay.getByRole('heading', { name: 'Note 38' }).waitFor();
    await fay.keyboard.press('e');
    // The classic protocol cannot delete: hiding is what this device can do, and it says so.
    await fay
      .locator('.notice', {
        hasText:
          'Hidden on this device. It is still on the server: the classic protocol cannot delete.',
      })
      .waitFor();
    await expect(fay.getByRole('option', { name: /Note 38/ }).count()).resolves.toBe(0);
    await fay.keyboard.press('z');
    await fay.getByRole('option', { name: /Note 38/ }).waitFor();
    await fay.getByRole('option', { name: /Note 38/ }).click();
    await expect(fay.getByRole('button', { name: 'Delete', exact: true }).count()).resolves.toBe(0);
    await fay.keyboard.press('#');
    await fay.locator('.notice', { hasText: 'The classic protocol cannot delete email' }).waitFor();
    await expect(fay.getByRole('option', { name: /Note 38/ }).count()).resolves.toBe(1);
    expect(requestsOf(fay, 'delete')).toEqual([]);
    await fay.keyboard.press('e');
    await expect(fay.getByRole('option', { name: /Note 38/ }).count()).resolves.toBe(0);

    await fay.reload();
    await signInToInbox(fay, MARKS_USER);
    await fay.getByRole('option', { name: /Note 37/ }).waitFor();
    await expect(fay.getByRole('option', { name: /Note 38/ }).count()).resolves.toBe(0);
    await expect(fay.getByRole('option', { name: /Unread, .*Note 39/ }).count()).resolves.toBe(0);
    await expect(fay.getByRole('button', { name: /^Inbox 38 unread/ }).count()).resolves.toBe(1);
    await fay.getByRole('button', { name: 'Show hidden (1)' }).click();
    await fay.getByRole('option', { name: /Note 38/ }).waitFor();
    await fay.getByRole('button', { name: 'Leave out hidden' }).click();

    // Show original is per email: the next email opens as the message.
    await fay.getByRole('option', { name: /Note 37/ }).click();
    await fay.getByRole('button', { name: 'Show original' }).click();
    await fay.locator('pre[aria-label="The email as stored by the server"]').waitFor();
    await fay.keyboard.press('j');
    await fay.getByRole('heading', { name: 'Note 36' }).waitFor();
    await expect(
      fay.getByRole('button', { name: 'Show original' }).getAttribute('aria-pressed'),
    ).resolves.toBe('false');
    await fay.locator('pre[aria-label="Content"]').waitFor();

    // A new sort brings the open email into view instead of keeping the old scroll position.
    await fay.getByRole('option', { name: /Note 37/ }).click();
    await fay.getByLabel('Sort by').selectOption({ label: 'Oldest first' });
    // Note 37 is the 38th oldest; only the rows near it are in the page.
    await expect.poll(() => fay.locator('.row.opened').getAttribute('aria-posinset')).toBe('38');
    const list = need((await fay.locator('#inbox-list').boundingBox()) ?? undefined);
    const open = need((await fay.locator('.row.opened').boundingBox()) ?? undefined);
    expect(open.y).toBeGreaterThanOrEqual(list.y);
    expect(open.y + open.height).toBeLessThanOrEqual(list.y + list.height);
    expect(await unreadDots()).toBeGreaterThan(0);

    // On a phone the last row's date is not under the compose button.
    const phone = await openTab({ viewport: PHONE });
    await signInToInbox(phone, MARKS_USER);
    await phone.locator('#inbox-list').focus();
    await phone.keyboard.press('End');
    const lastDate = phone.locator('.row').last().locator('.date');
    await lastDate.waitFor();
    const date = need((await lastDate.boundingBox()) ?? undefined);
    const fab = need((await phone.locator('.fab').boundingBox()) ?? undefined);
    const overlaps =
      date.x < fab.x + fab.width &&
      fab.x < date.x + date.width &&
      date.y < fab.y + fab.height &&
      fab.y < date.y + date.height;
    expect(overlaps).toBe(false);
    await shoot(phone, 'phone-list-end');

    // Counts read in words: one character is not "1 characters".
    await phone.getByRole('button', { name: 'New email' }).click();
    const one = join(ui.files, 'one.txt');
    writeFileSync(one, 'x');
    await phone.locator('#compose-file').setInputFiles(one);
    await phone.getByText('1 character, sent exactly as in the file', { exact: false }).waitFor();
    await shoot(phone, 'phone-compose');
    expect(pageErrors).toEqual([]);
  });

  it('opens a 1,000,000-character email at once, all of it there to select, copy and find; typing in a 950,000-character box stays quick', async () => {
    const big = Array.from(
      { length: 20_000 },
      (_, i) => `${String(i).padStart(5, '0')} ${'m'.repeat(44)}`,
    ).join('\n');
    const content = big.slice(0, 1_000_000);
    await deliver('client2', ['client9'], 'A million', content);
    const gil = await openTab();
    await signInToInbox(gil, 'client9');
    const row = gil.getByRole('option', { name: /A million/ });
    await row.waitFor();

    const started = Date.now();
    await row.click();
    const pre = gil.locator('pre[aria-label="Content"]');
    await pre.waitFor();
    const openMs = Date.now() - started;
    const nextFrame = await frameMs(gil);
    record('open a 1,000,000-character email (click to text on screen), ms', openMs);
    record('next frame after it opened, ms', nextFrame);
    expect(openMs).toBeLessThan(10_000);
    // All of it is in the page at once (pieces off screen are laid out only when near).
    await expect(
      gil.evaluate('document.querySelector(\'pre[aria-label="Content"]\').textContent.length'),
    ).resolves.toBe(1_000_000);
    const copied = await gil.evaluate<string>(`(() => {
      const selection = getSelection();
      selection.selectAllChildren(document.querySelector('pre[aria-label="Content"]'));
      const text = selection.toString();
      selection.removeAllRanges();
      return text;
    })()`);
    expect(copied === content).toBe(true);
    expect(await axeViolations(gil, 'reading a 1,000,000-character email')).toEqual([]);
    await shoot(gil, 'reading-long');

    // The email's own find (Ctrl+F in the email) reaches its last line and shows it.
    await gil.locator('#reader-title').focus();
    await gil.keyboard.press('Control+f');
    await gil.getByRole('textbox', { name: 'Find in this email' }).fill('19230 mmm');
    await expect(
      gil
        .getByRole('status')
        .filter({ hasText: /of 1 match/ })
        .count(),
    ).resolves.toBe(1);
    await expect
      .poll(() =>
        gil.evaluate(`(() => {
          const range = [...(CSS.highlights.get('find-current') ?? [])][0];
          const scroller = document.querySelector('.scroll');
          if (!(range instanceof Range) || !scroller) return false;
          const box = range.getBoundingClientRect();
          const view = scroller.getBoundingClientRect();
          return box.height > 0 && box.top >= view.top && box.bottom <= view.bottom;
        })()`),
      )
      .toBe(true);
    await shoot(gil, 'reading-long-find');

    // Typing at the end of a 950,000-character text: each key is measured until the next frame.
    const file = join(ui.files, 'long-draft.txt');
    writeFileSync(file, content.slice(0, 950_000));
    await gil.keyboard.press('Escape');
    await expect.poll(() => focusedId(gil)).toBe('reader-title');
    await gil.keyboard.press('c');
    await gil.locator('#compose-file').setInputFiles(file);
    await gil.getByRole('button', { name: 'Edit as text' }).click();
    const app = await keyLatencies(gil, '#compose-content');
    record('typing in a 950,000-character box: median key to next frame, ms', app.median);
    record('typing in a 950,000-character box: slowest key, ms', app.slowest);
    record('typing in a 950,000-character box: longest task, ms', app.longestTask);
    // The same text in a bare <textarea> on a blank page: what the browser itself costs.
    const bare = await gil.context().newPage();
    await bare.setContent('<textarea id="bare" spellcheck="false" rows="20" cols="80"></textarea>');
    await bare.evaluate(
      `document.getElementById('bare').value = ${JSON.stringify(content.slice(0, 950_000))}`,
    );
    const browserOnly = await keyLatencies(bare, '#bare');
    record(
      'typing in a bare 950,000-character textarea: median key to next frame, ms',
      browserOnly.median,
    );
    await bare.close();
    expect(app.median).toBeLessThan(2000);
    await expect
      .poll(() => gil.locator('#compose-content-count').textContent())
      .toBe('950,016 / 1,000,000');
    expect(pageErrors).toEqual([]);
  });

  it('lists 10,000 emails with only a window of rows in the page; sorting and scrolling are measured', async () => {
    const quiet = await startGatewayProcess(gatewayArgs(ui.server, '--poll', '0'));
    stopLater.push(() => quiet.stop());
    const jo = await openTab({ via: quiet });
    const signInMs = await signInToInbox(jo, BIG_INBOX);
    record('sign-in to inbox of 10,000 emails, ms', signInMs);
    await expect(jo.getByText('10,000 emails', { exact: true }).count()).resolves.toBe(1);
    const rows = jo.locator('[role="option"]');
    await expect(rows.count()).resolves.toBeLessThan(100);
    await expect(rows.first().getAttribute('aria-setsize')).resolves.toBe('10000');

    await recordLongTasks(jo);
    const before = await rows.first().locator('.title').innerText();
    const sortStarted = Date.now();
    await jo.getByLabel('Sort by').selectOption({ label: 'Title A–Z' });
    await expect.poll(() => rows.first().locator('.title').innerText()).not.toBe(before);
    const sortMs = Date.now() - sortStarted;
    const sortTask = await longestTask(jo);
    record('sort 10,000 rows by title (select to rows shown), ms', sortMs);
    record('sort 10,000 rows: longest task, ms', sortTask);

    await recordLongTasks(jo);
    const list = jo.locator('#inbox-list');
    const box = need((await list.boundingBox()) ?? undefined);
    await jo.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const scrollStarted = Date.now();
    for (let i = 0; i < 40; i++) {
      await jo.mouse.wheel(0, 1500);
      await frameMs(jo);
    }
    const scrollMs = Date.now() - scrollStarted;
    const scrollTask = await longestTask(jo);
    record('scroll 40 × 1,500 px through 10,000 rows, ms', scrollMs);
    record('scroll 10,000 rows: longest task, ms', scrollTask);
    await expect(rows.count()).resolves.toBeLessThan(100);
    await list.focus();
    await jo.keyboard.press('Home');
    await expect(jo.locator('[aria-posinset="1"] .title').innerText()).resolves.toBe(
      'Report 00000',
    );
    await jo.keyboard.press('End');
    await expect(jo.locator('[aria-posinset="10000"] .title').innerText()).resolves.toBe(
      'Report 09999',
    );
    await expect(rows.count()).resolves.toBeLessThan(100);
    // Generous: a loaded two-core machine must not make this fail; the figures are what count.
    expect(Math.max(sortTask, scrollTask)).toBeLessThan(2000);
    expect(await axeViolations(jo, 'inbox of 10,000 emails')).toEqual([]);
    await shoot(jo, 'inbox-10000');
    expect(pageErrors).toEqual([]);
  });

  // Never switching protocol silently (the gateway's memory of enhanced servers) is tested
  // with fresh browser profiles in test/e2e/gateway-trust.test.ts.

  it('passes axe-core on every screen, light and dark, desktop and phone', async () => {
    const violations: string[] = [];
    for (const [size, viewport, user] of [
      ['desktop', WIDE, 'client6'],
      ['phone', PHONE, 'client13'],
    ] as const) {
      const page = await openTab({ viewport, undoSeconds: 5, clock: true });
      const audit = async (screen: string): Promise<void> => {
        violations.push(...(await axeViolations(page, `${screen}, ${size}`)));
        await shoot(page, `axe-${screen.replace(/\W+/g, '-')}-${size}`);
      };
      await audit('sign-in');
      await signIn(page, user, 'wrong');
      await page.getByRole('alert').waitFor();
      await audit('sign-in error');
      await signInToInbox(page, user);
      await page.getByText('Your inbox is empty').waitFor();
      await audit('inbox empty');

      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await audit('help dialog');
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'New email' }).click();
      await page.getByLabel('Title').fill('y'.repeat(120));
      await audit('compose with errors');
      await page.getByRole('button', { name: 'Discard' }).click();

      await deliver('client1', [user], 'For the audit', 'A short email.');
      await deliver('client2', [user], 'A long one', 'long line '.repeat(100_000));
      await page.getByRole('option', { name: /A long one/ }).waitFor({ timeout: 15_000 });
      await audit('inbox full');
      await page.getByRole('option', { name: /For the audit/ }).click();
      await page.getByRole('heading', { name: 'For the audit' }).waitFor();
      await audit('reading');
      if (size === 'phone') await page.getByRole('button', { name: 'Inbox' }).click();
      await page.getByRole('option', { name: /A long one/ }).click();
      await page.locator('pre[aria-label="Content"]').waitFor();
      await audit('reading 1,000,000 characters');
      if (size === 'phone') await page.getByRole('button', { name: 'Inbox' }).click();

      await page.getByRole('button', { name: /^Sent/ }).click();
      await page.getByRole('heading', { name: 'Sent', exact: true }).waitFor();
      await page.getByText('Loading…').waitFor({ state: 'detached' });
      await audit('sent');
      await page.getByRole('button', { name: /^Drafts/ }).click();
      await page.getByRole('heading', { name: 'Drafts', exact: true }).waitFor();
      await audit('drafts');
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('dialog', { name: 'Settings' }).waitFor();
      await audit('settings');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });

      // The classic protocol's own words: it cannot delete, and it reports no delivery.
      await page.getByRole('button', { name: /^Inbox/ }).click();
      await page.getByRole('option', { name: /For the audit/ }).click();
      await page.getByRole('heading', { name: 'For the audit' }).waitFor();
      await page.keyboard.press('#');
      await page
        .locator('.notice', { hasText: 'The classic protocol cannot delete email' })
        .waitFor();
      await audit('cannot delete, classic');
      await page.keyboard.press('e');
      await page.locator('.notice', { hasText: 'the classic protocol cannot delete.' }).waitFor();
      await page.keyboard.press('z');
      await page.keyboard.press('c');
      await page.getByLabel('To').fill('client1;');
      await page.getByLabel('Title').fill('Audit, classic');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.locator('.notice', { hasText: 'Sending to client1 in 5 s.' }).waitFor();
      await endHold(page, 5);
      await page
        .locator('.notice', {
          hasText: 'The classic protocol cannot tell whether it was delivered.',
        })
        .waitFor({ timeout: 20_000 });
      await audit('sent, classic');

      // The enhanced protocol: names the server will report, the report, a delete held for Undo.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      await signInToInbox(page, user, 'enhanced');
      await page.getByRole('option', { name: /For the audit/ }).waitFor();
      await page.keyboard.press('c');
      await page.getByLabel('To').fill('client1; ghost');
      await page.getByLabel('To').press('Enter');
      await page.getByLabel('Title').fill('Audit, enhanced');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('button', { name: 'Send anyway' }).waitFor();
      await audit('compose, names never seen, enhanced');
      await page.getByRole('button', { name: 'Send anyway' }).click();
      await page.locator('.notice', { hasText: 'Sending to client1, ghost in 5 s.' }).waitFor();
      await endHold(page, 5);
      await page
        .locator('.notice', { hasText: 'Delivered to client1. Not delivered: ghost' })
        .waitFor({ timeout: 20_000 });
      await audit('delivery report notice');
      await page.keyboard.press('n');
      await page.getByRole('dialog', { name: 'What became of “Audit, enhanced”' }).waitFor();
      await audit('delivery report');
      await page.keyboard.press('Escape');
      await page.getByRole('option', { name: /For the audit/ }).click();
      await page.getByRole('heading', { name: 'For the audit' }).waitFor();
      await page.keyboard.press('#');
      const held = page.locator('.notice', { hasText: '“For the audit” moved to the Trash' });
      await held.getByRole('button', { name: /Undo/ }).focus();
      await audit('moved to the Trash, with Undo');
      await held.getByRole('button', { name: /Undo/ }).click();
      await page.getByRole('option', { name: /For the audit/ }).waitFor();
      expect(requestsOf(page, 'delete')).toEqual([]);
    }
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 480_000);
});
