/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * gateway and mail servers, set up once for the file by web-ui-suite.ts: signing in, writing and sending (the question before a name never seen, notices, the keyboard focus), search, reply and forward, Undo and the settings.
 * With SCREENSHOTS=1, screenshots (light and dark) go to test-artifacts/; timings to test-artifacts/web-timings.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  artifacts,
  axeViolations,
  coveredControls,
  LAPTOP,
  PHONE,
  picture,
  record,
  shoot,
  shownText,
} from './page-tools.js';
import { endHold, haveChromium, need, webUiSuite } from './web-ui-suite.js';

// A loaded two-core machine can take minutes over what an idle one does in seconds.
describe.skipIf(!haveChromium)(
  'web UI in Chromium: signing in, writing and sending (the question before a name never seen, notices, the keyboard focus), search, reply and forward, Undo and the settings',
  { timeout: 180_000 },
  () => {
    const ui = webUiSuite();
    const { pageErrors, openTab, signIn, signInToInbox, deliver, announced, focusedId, chips } = ui;

    it('signs in with specific errors, keeps the Sign in button in view at 800 px, and passes axe on desktop and phone', async () => {
      const violations: string[] = [];
      for (const [name, viewport] of [
        ['desktop', LAPTOP],
        ['phone', PHONE],
      ] as const) {
        const page = await openTab({ viewport });
        violations.push(...(await axeViolations(page, `sign-in ${name}`)));
        await shoot(page, `sign-in-${name}`);

        await signIn(page, 'client1', 'not-the-password');
        await expect
          .poll(() => page.getByRole('alert').textContent())
          .toMatch(/username or password is wrong/);
        const button = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
        expect(need(button ?? undefined).y + need(button ?? undefined).height).toBeLessThanOrEqual(
          viewport.height,
        );
        violations.push(...(await axeViolations(page, `sign-in error ${name}`)));
        await shoot(page, `sign-in-error-${name}`);

        await page.getByLabel('Server').fill('127.0.0.1:1');
        await signIn(page, 'client1');
        await expect
          .poll(() => page.getByRole('alert').textContent())
          .toMatch(/Could not reach 127\.0\.0\.1:1\b/);
        await page.getByLabel('Server').fill('');
        await signIn(page, 'client99', 'password99');
        await expect
          .poll(() => page.getByRole('alert').textContent())
          .toMatch(/There is no user “client99” on this computer/);
      }
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    });

    it('asks before sending to a name never seen, says only "handed to the server", and no notice covers a control', async () => {
      const alice = await openTab({ viewport: LAPTOP });
      const signInMs = await signInToInbox(alice, 'client1');
      record('sign-in to inbox (empty), ms', signInMs);
      // The keyboard goes where the next action is: the button that writes, in an empty inbox.
      await expect.poll(() => focusedId(alice)).toBe('compose-button');
      await expect.poll(() => announced(alice)).toMatch(/Signed in as client1/);
      expect(await axeViolations(alice, 'inbox empty')).toEqual([]);
      await shoot(alice, 'inbox-empty');

      const bob = await openTab();
      await signIn(bob, 'client2');
      await bob.getByText('Your inbox is empty').waitFor();

      // Recipients as chips (; and Enter); Backspace takes the last back; a pasted list becomes chips.
      await alice.keyboard.press('c');
      await expect.poll(() => focusedId(alice)).toBe('compose-to');
      const to = alice.getByLabel('To');
      await to.pressSequentially('client2;ghost');
      await to.press('Enter');
      await expect(chips(alice)).resolves.toEqual(['client2', 'ghost']);
      await to.pressSequentially('client9,');
      await to.press('Backspace');
      await to.fill('ghost; client2');
      await to.press('Enter');
      await expect(chips(alice)).resolves.toEqual(['client2', 'ghost']);

      const content = `Hello client2,\r\nthis text came from a file: é ü 😀 <b>not bold</b> & "quotes".\n\n${'Line of the report.\n'.repeat(300)}The end.`;
      const file = join(ui.files, 'report.txt');
      writeFileSync(file, content);
      await alice.locator('#compose-file').setInputFiles(file);
      await alice.locator('.file-name strong', { hasText: 'report.txt' }).waitFor();

      // A 101-character title blocks Send, with the reason; 100 is fine.
      const title = alice.getByLabel('Title');
      await title.fill('x'.repeat(101));
      const send = alice.getByRole('button', { name: 'Send', exact: true });
      await expect(send.isDisabled()).resolves.toBe(true);
      await expect(alice.locator('#compose-blocker').textContent()).resolves.toMatch(
        /title is 101 characters; the limit is 100/,
      );
      await expect(alice.locator('#compose-subject-count').textContent()).resolves.toBe(
        '101 / 100',
      );
      expect(await axeViolations(alice, 'compose with errors')).toEqual([]);
      await shoot(alice, 'compose-invalid');
      await title.fill('Quarterly report');

      // Names nothing on this computer knows (never seen in mail, no key for them) are marked as
      // the sealing plan comes in: client2's key is in the keyring, so only ghost is, and Send
      // asks about ghost alone, with the safe choice focused.
      await expect.poll(() => alice.locator('.chip.unknown').count()).toBe(1);
      await send.click();
      const confirm = alice.getByRole('alert').filter({ hasText: 'never appeared in your mail' });
      await expect(shownText(confirm)).resolves.toMatch(
        /ghost has never appeared in your mail on this device, and this computer has no key for that name/,
      );
      await expect
        .poll(() => alice.evaluate('document.activeElement?.textContent?.trim()'))
        .toBe('Check the names');
      await shoot(alice, 'compose-unknown-names');
      await alice.getByRole('button', { name: 'Check the names' }).click();
      // Back in the names, not on the page's body.
      await expect.poll(() => focusedId(alice)).toBe('compose-to');
      await alice.getByRole('button', { name: 'Remove ghost' }).click();
      await send.click();
      // The classic protocol has no delivery report: only what is known is said, and what is not.
      const handed = alice.locator('.notice', { hasText: 'Handed to the server for client2.' });
      await handed.waitFor();
      await expect(
        alice
          .locator('.notice')
          .textContent()
          .then((text) => text?.trim()),
      ).resolves.toMatch(
        /^Handed to the server for client2\. The classic protocol cannot tell whether it was delivered\./,
      );
      await expect(alice.locator('.notice').textContent()).resolves.not.toMatch(
        /stored|delivered to/i,
      );
      await expect.poll(() => announced(alice)).toMatch(/Handed to the server for client2/);
      await expect.poll(() => focusedId(alice)).toBe('compose-button');

      // While that notice shows, a second email: every control can be clicked where it is drawn.
      await alice.keyboard.press('c');
      await alice.getByLabel('To').fill('client2;');
      await alice.getByLabel('Title').fill('Second one');
      await alice.locator('#compose-content').fill('Sent while the first notice shows.');
      await expect(handed.isVisible()).resolves.toBe(true);
      await expect(coveredControls(alice)).resolves.toEqual([]);
      await shoot(alice, 'notice-beside-send');
      const box = need((await send.boundingBox()) ?? undefined);
      await alice.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await alice.getByRole('heading', { name: 'New email' }).waitFor({ state: 'detached' });
      await expect(alice.locator('.notice').textContent()).resolves.toMatch(
        /Handed to the server for client2\. The classic protocol cannot tell whether it was delivered\. Sealed: only client2 and you can read it\.\s*\+1/,
      );

      // Bob's inbox shows both without a reload (the gateway's background check), with a notice.
      await bob.getByRole('option', { name: /client1.*Second one/ }).waitFor({ timeout: 15_000 });
      await bob.getByRole('option', { name: /client1.*Quarterly report/ }).waitFor();
      await expect(coveredControls(bob)).resolves.toEqual([]);
      await shoot(bob, 'inbox-new-mail');

      // The content is the file's, exactly, as text.
      await bob.getByRole('option', { name: /Quarterly report/ }).click();
      await bob.getByRole('heading', { name: 'Quarterly report' }).waitFor();
      await expect(bob.locator('pre[aria-label="Content"]').textContent()).resolves.toBe(content);
      await expect(bob.locator('pre[aria-label="Content"] b').count()).resolves.toBe(0);
      await expect(bob.getByText('to client2', { exact: true }).count()).resolves.toBe(1);
      expect(await axeViolations(bob, 'reading')).toEqual([]);
      await shoot(bob, 'reading');

      // The same at phone size: no notice over a control, and the compose button over no row.
      const phone = await openTab({ viewport: PHONE });
      await signIn(phone, 'client2');
      await phone.getByRole('option', { name: /Quarterly report/ }).waitFor();
      await deliver('client3', ['client2'], 'From a phone test', 'Hello.');
      await phone.locator('.notice', { hasText: 'New email from client3' }).waitFor();
      await expect(coveredControls(phone)).resolves.toEqual([]);
      await shoot(phone, 'phone-inbox');

      await alice.getByRole('button', { name: 'Sign out' }).click();
      await alice.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      await alice.getByText('You signed out.').waitFor();
      expect(pageErrors).toEqual([]);
    });

    it('moves the keyboard focus where the next action is, opens an announced email with n, and keeps a focused notice', async () => {
      await deliver('client1', ['client3'], 'Already there', 'The first email.');
      const carol = await openTab({ clock: true });
      await signInToInbox(carol, 'client3');
      // After sign-in the list has the focus (not the page body), and the result is said.
      await expect.poll(() => focusedId(carol)).toBe('inbox-list');
      await expect.poll(() => announced(carol)).toMatch(/Inbox: 1 email, 1 unread/);

      // Enter opens the selected email and moves the focus to it; Esc goes back to the list.
      await carol.keyboard.press('j');
      await carol.keyboard.press('Enter');
      await carol.getByRole('heading', { name: 'Already there' }).waitFor();
      await expect.poll(() => focusedId(carol)).toBe('reader-title');
      await expect.poll(() => announced(carol)).toMatch(/Opened: Already there, from client1/);
      await carol.keyboard.press('Escape');
      await expect.poll(() => focusedId(carol)).toBe('inbox-list');

      // A new email's notice has a key of its own: n opens it.
      await deliver('client2', ['client3'], 'Announced', 'Opened from the notice.');
      await carol
        .locator('.notice', { hasText: 'New email from client2: Announced' })
        .waitFor({ timeout: 15_000 });
      await expect(
        carol
          .getByRole('region', { name: 'Notifications' })
          .getByRole('button', { name: /Open/ })
          .count(),
      ).resolves.toBe(1);
      await carol.keyboard.press('n');
      await carol.getByRole('heading', { name: 'Announced' }).waitFor();
      await expect.poll(() => focusedId(carol)).toBe('reader-title');

      // A notice whose button has the focus stays past its usual seven seconds.
      await deliver('client2', ['client3'], 'Kept', 'Still announced.');
      const kept = carol.locator('.notice', { hasText: 'New email from client2: Kept' });
      await kept.waitFor({ timeout: 15_000 });
      await kept.getByRole('button', { name: /Open/ }).focus();
      // Eight seconds pass on the page's clock: the notice would have gone after seven.
      await carol.clock.fastForward(8000);
      await expect(kept.isVisible()).resolves.toBe(true);
      await kept.getByRole('button', { name: /Open/ }).press('Enter');
      await carol.getByRole('heading', { name: 'Kept' }).waitFor();
      // The same eight seconds take away a notice without the focus (the clock is the page's).
      await deliver('client2', ['client3'], 'Passing', 'Announced, then gone.');
      const passing = carol.locator('.notice', { hasText: 'New email from client2: Passing' });
      await passing.waitFor({ timeout: 15_000 });
      await carol.clock.fastForward(8000);
      await passing.waitFor({ state: 'detached' });

      // After a send the focus returns to the list, and the result is said.
      await carol.keyboard.press('c');
      await carol.getByLabel('To').fill('client1;');
      await carol.getByLabel('Title').fill('Keyboard only');
      await carol.locator('#compose-content').fill('Sent with Ctrl+Enter.');
      await carol.keyboard.press('Control+Enter');
      await carol.locator('.notice', { hasText: 'Handed to the server for client1.' }).waitFor();
      await expect.poll(() => focusedId(carol)).toBe('inbox-list');

      // ? lists the shortcuts Gmail users know; refresh has moved to u.
      await carol.keyboard.press('?');
      const help = carol.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      await expect(help.textContent()).resolves.toMatch(
        /Reply.*Reply to all.*Forward.*Hide the email on this device \(it stays on the server\).*#\s*or\s*Delete\s*Move the email or the ticked ones to the Trash; in the Trash, delete for good \(the enhanced protocol only\).*Search.*Check for new mail/s,
      );
      expect(await axeViolations(carol, 'help dialog')).toEqual([]);
      await shoot(carol, 'shortcuts');
      await carol.keyboard.press('Escape');
      await help.waitFor({ state: 'detached' });
      expect(pageErrors).toEqual([]);
    });

    it('searches senders, titles, dates and opened emails with highlights; replies, replies to all and forwards with the original quoted once', async () => {
      await deliver(
        'client1',
        ['client10', 'client2'],
        'Lunch on Friday',
        'Shall we try the pineapple pizza?\nSee you.',
      );
      await deliver('client2', ['client10'], 'Budget 2027', 'Numbers attached below.');
      await deliver('client3', ['client10'], 'Re: Lunch on Friday', 'Count me in.');
      const hal = await openTab();
      await signInToInbox(hal, 'client10');
      await hal.getByRole('option', { name: /Budget 2027/ }).waitFor();
      const rowTitles = (): Promise<string[]> =>
        hal.locator('[role="option"] .title').allInnerTexts();

      await hal.keyboard.press('/');
      await expect.poll(() => focusedId(hal)).toBe('search');
      await hal.keyboard.type('lunch');
      await expect.poll(rowTitles).toEqual(['Re: Lunch on Friday', 'Lunch on Friday']);
      await expect(hal.locator('[role="option"] mark').allInnerTexts()).resolves.toEqual([
        'Lunch',
        'Lunch',
      ]);
      await hal.getByLabel('Search mail').fill('from:client2');
      await expect.poll(rowTitles).toEqual(['Budget 2027']);
      const today = new Date().toISOString().slice(0, 10);
      await hal.getByLabel('Search mail').fill(`date:${today.slice(0, 7)} budget`);
      await expect.poll(rowTitles).toEqual(['Budget 2027']);
      // A word in no email. (Unopened emails' text is found too, once the session's index has
      // it: test/e2e/content-search.test.ts; whether it has it yet here is a race.)
      await hal.getByLabel('Search mail').fill('durian');
      await hal.getByText('No email matches').waitFor();
      await hal.getByLabel('Search mail').fill('');
      await hal.getByRole('option', { name: /client1.*Lunch on Friday/ }).click();
      await hal.getByRole('heading', { name: 'Lunch on Friday', exact: true }).waitFor();
      // An opened email's row shows where its text matched.
      await hal.getByLabel('Search mail').fill('pineapple');
      await expect
        .poll(rowTitles)
        .toEqual(['Lunch on Friday — …we try the pineapple pizza? See you.']);
      await expect(hal.locator('[role="option"] mark').allInnerTexts()).resolves.toEqual([
        'pineapple',
      ]);
      expect(await axeViolations(hal, 'inbox with a search')).toEqual([]);
      await shoot(hal, 'search');
      await hal.getByLabel('Search mail').fill('');

      // Reply: the sender, "Re: " once, the original quoted under who wrote it and when.
      await hal.locator('#reader-title').focus();
      await hal.keyboard.press('r');
      await hal.getByRole('heading', { name: 'Reply', exact: true }).waitFor();
      await expect(chips(hal)).resolves.toEqual(['client1']);
      await expect(hal.getByLabel('Title').inputValue()).resolves.toBe('Re: Lunch on Friday');
      await expect(hal.locator('#compose-content').inputValue()).resolves.toMatch(
        /^\n\nOn \d{4}-\d\d-\d\d \d\d:\d\d, client1 wrote:\n> Shall we try the pineapple pizza\?\n> See you\.$/,
      );
      await shoot(hal, 'reply');
      await hal.getByRole('button', { name: 'Discard' }).click();

      // Reply to all: everyone but me; Forward: no one yet, "Fwd: ", the original's headers.
      await hal.getByRole('option', { name: /client1.*Lunch on Friday/ }).click();
      await hal.getByRole('button', { name: 'Reply all' }).click();
      await expect(chips(hal)).resolves.toEqual(['client1', 'client2']);
      await hal.getByRole('button', { name: 'Discard' }).click();
      await hal.getByRole('option', { name: /client1.*Lunch on Friday/ }).click();
      await hal.getByRole('button', { name: 'Forward' }).click();
      await expect(chips(hal)).resolves.toEqual([]);
      await expect(hal.getByLabel('Title').inputValue()).resolves.toBe('Fwd: Lunch on Friday');
      await expect(hal.locator('#compose-content').inputValue()).resolves.toContain(
        '---------- Forwarded message ----------\nFrom: client1\n',
      );
      await hal.getByRole('button', { name: 'Discard' }).click();

      // A reply to a reply does not become "Re: Re:".
      await hal.getByRole('option', { name: /client3.*Re: Lunch on Friday/ }).click();
      await hal.getByRole('heading', { name: 'Re: Lunch on Friday' }).waitFor();
      await hal.getByRole('button', { name: 'Reply', exact: true }).click();
      await expect(hal.getByLabel('Title').inputValue()).resolves.toBe('Re: Lunch on Friday');
      expect(pageErrors).toEqual([]);
    });

    it('holds a sent email for the undo time, sends nothing when undone, and has settings for undo, theme and desktop notifications', async () => {
      const ivy = await openTab({ undoSeconds: 5, clock: true });
      const context = ivy.context();
      await context.grantPermissions(['notifications']);
      // Headless Chromium shows no notification and its tabs are never hidden: both are observed here.
      await context.addInitScript(`(() => {
      window.__notifications = [];
      window.__hidden = false;
      Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible') });
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() { return Promise.resolve('granted'); }
        constructor(title, options) { window.__notifications.push(title + ': ' + (options?.body ?? '')); }
        close() {}
      };
    })()`);
      const sends: string[] = [];
      ivy.on('websocket', (socket) => {
        socket.on('framesent', (frame) => {
          if (typeof frame.payload === 'string' && frame.payload.includes('"type":"send"'))
            sends.push(frame.payload);
        });
      });
      await ivy.reload();
      await signInToInbox(ivy, 'client11');

      await ivy.keyboard.press('c');
      await ivy.getByLabel('To').fill('client1;');
      await ivy.getByLabel('Title').fill('Second thoughts');
      await ivy.locator('#compose-content').fill('Maybe not.');
      await ivy.getByRole('button', { name: 'Send', exact: true }).click();
      const holding = ivy.locator('.notice', { hasText: 'Sending to client1 in 5 s.' });
      await holding.waitFor();
      await expect(coveredControls(ivy)).resolves.toEqual([]);
      await shoot(ivy, 'undo-send');
      await ivy.keyboard.press('z');
      await ivy.locator('.notice', { hasText: 'Sending undone' }).waitFor();
      await expect(ivy.getByLabel('Title').inputValue()).resolves.toBe('Second thoughts');
      expect(sends).toEqual([]);

      await ivy.getByRole('button', { name: 'Send', exact: true }).click();
      await holding.waitFor();
      await endHold(ivy, 5);
      await ivy
        .locator('.notice', { hasText: 'Handed to the server for client1.' })
        .waitFor({ timeout: 20_000 });
      expect(sends).toHaveLength(1);

      // Settings: the gateway's check interval, undo off, the theme, desktop notifications.
      await ivy.getByRole('button', { name: 'Settings' }).click();
      const settings = ivy.getByRole('dialog', { name: 'Settings' });
      await settings.getByText('The gateway checks for new mail every 1 second').waitFor();
      expect(await axeViolations(ivy, 'settings')).toEqual([]);
      await shoot(ivy, 'settings');
      await settings.getByLabel(/^Undo: hold a sent email, or a delete, for/).selectOption({
        label: 'no time (off)',
      });
      await settings.getByRole('radio', { name: 'Dark' }).check();
      await expect(ivy.evaluate('document.documentElement.dataset.theme')).resolves.toBe('dark');
      await expect(ivy.evaluate('getComputedStyle(document.body).backgroundColor')).resolves.toBe(
        'rgb(18, 19, 23)',
      );
      await settings.getByLabel(/Desktop notifications/).check();
      await settings.getByRole('button', { name: 'Close' }).click();
      await picture(ivy, join(artifacts, 'theme-dark-chosen.png'));

      await ivy.evaluate(
        `window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'));`,
      );
      await deliver('client2', ['client11'], 'While away', 'Seen from another tab.');
      await expect
        .poll(() => ivy.evaluate('window.__notifications'), { timeout: 15_000 })
        .toEqual(['Sealed Mail: New email from client2: While away']);

      // Undo is off now: the next email goes at once. The settings outlive a reload.
      await ivy.evaluate(`window.__hidden = false;`);
      await ivy.keyboard.press('c');
      await ivy.getByLabel('To').fill('client1;');
      await ivy.getByLabel('Title').fill('At once');
      await ivy.getByRole('button', { name: 'Send', exact: true }).click();
      await ivy.locator('.notice', { hasText: 'Handed to the server for client1.' }).waitFor();
      expect(sends).toHaveLength(2);
      await ivy.reload();
      await ivy.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      await expect(ivy.evaluate('document.documentElement.dataset.theme')).resolves.toBe('dark');
      expect(pageErrors).toEqual([]);
    });
  },
);
