/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * gateway and mail servers, set up once for the file by web-ui-suite.ts: the enhanced protocol: a verified sign-in, delivery reports, deletes with Undo, pushed new mail and Sent.
 * With SCREENSHOTS=1, screenshots (light and dark) go to test-artifacts/; timings to test-artifacts/web-timings.json.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../helpers/gateway.js';
import { serverHome } from '../helpers/keys.js';
import { startMailServer } from '../helpers/server.js';
import { LAPTOP, axeViolations, coveredControls, record, shoot, shownText } from './page-tools.js';
import { fillInbox, haveChromium, need, webUiSuite } from './web-ui-suite.js';

// A loaded two-core machine can take minutes over what an idle one does in seconds.
describe.skipIf(!haveChromium)(
  'web UI in Chromium: the enhanced protocol',
  { timeout: 180_000 },
  () => {
    const ui = webUiSuite();
    const {
      pageErrors,
      stopLater,
      gatewayArgs,
      openTab,
      requestsOf,
      signInToInbox,
      openSocket,
      listOnServer,
      deliver,
    } = ui;

    it('signs in with the enhanced protocol and shows the server was verified', async () => {
      const enhanced = await startMailServer(
        serverHome(ui.keys.dir),
        [],
        'mail-server/main-enhanced.js',
      );
      stopLater.push(() => enhanced.stop());
      const dave = await openTab();
      await dave.getByLabel('Username').fill('client1');
      await dave.getByLabel('Password').fill('password1');
      await dave.getByRole('radio', { name: 'Enhanced' }).check();
      await expect(dave.locator('#protocol-about').textContent()).resolves.toMatch(
        /signs the handshake/,
      );
      // The enhanced protocol against the classic server's port fails with its own words.
      await dave.getByLabel('Server').fill(`127.0.0.1:${ui.server.port}`);
      await dave.getByRole('button', { name: 'Sign in' }).click();
      await dave.getByRole('alert').waitFor();
      await expect(dave.getByRole('alert').textContent()).resolves.toMatch(
        /enhanced protocol.*13001/,
      );
      await shoot(dave, 'sign-in-enhanced-wrong-port');
      await dave.getByLabel('Server').fill(`127.0.0.1:${enhanced.port}`);
      await dave.getByLabel('Password').fill('password1');
      await dave.getByRole('button', { name: 'Sign in' }).click();
      await dave.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      await expect(dave.locator('.account').textContent()).resolves.toMatch(
        /Enhanced protocol, server verified/,
      );
      await shoot(dave, 'inbox-enhanced');
      expect(pageErrors).toEqual([]);
    });

    it('reports what became of each recipient on the enhanced protocol (delivered, no such user, refused for a full inbox), in Details and in Sent, and says when Sent kept no copy', async () => {
      const home = serverHome(ui.keys.dir);
      // client16's inbox is all but full (the server's quota is 1 MiB here): one more email is too many.
      fillInbox(home, 'client16', 1, () => ({
        from: 'ana',
        title: 'Filler',
        content: 'f'.repeat(1_048_500),
      }));
      const quota = await startMailServer(
        home,
        ['--inbox-quota-mb', '1'],
        'mail-server/main-enhanced.js',
      );
      const data = mkdtempSync(join(tmpdir(), 'sealed-mail-e2e-data-'));
      const own = await startGatewayProcess(
        gatewayArgs(ui.server, '--enhanced-server', `127.0.0.1:${quota.port}`, '--data', data),
      );
      stopLater.push(
        () => own.stop(),
        () => quota.stop(),
        () => {
          rmSync(data, { recursive: true, force: true });
          return Promise.resolve();
        },
      );
      const vera = await openTab({ viewport: LAPTOP, via: own });
      await signInToInbox(vera, 'client14', 'enhanced');
      const violations: string[] = [];

      await vera.keyboard.press('c');
      await vera.getByLabel('To').fill('client15; ghost; client16');
      await vera.getByLabel('To').press('Enter');
      await vera.getByLabel('Title').fill('Three ways');
      await vera.locator('#compose-content').fill('Who gets this?');
      // The server has keys for client15 and client16 (never seen in mail on this device): the
      // field marks ghost alone, nothing knows that name.
      await expect
        .poll(() => vera.locator('.chip.unknown > span:first-child').allInnerTexts())
        .toEqual(['ghost']);
      await vera.getByRole('button', { name: 'Send', exact: true }).click();
      // With delivery reports, the question before sending says what the server will tell; it
      // asks about ghost only.
      const confirm = vera.getByRole('alert').filter({ hasText: 'never appeared in your mail' });
      await expect(shownText(confirm.locator('.text')).then((text) => text.trim())).resolves.toBe(
        'ghost has never appeared in your mail on this device, and this computer has no key for that name. The server will report a name it does not know, once the email has gone to the others.',
      );
      await vera.getByRole('button', { name: 'Send anyway' }).click();
      const report = vera.locator('.notice', { hasText: 'Delivered to client15.' });
      await report.waitFor();
      await expect(report.locator('.text').textContent()).resolves.toBe(
        'Delivered to client15. Not delivered: ghost (no such user on the server), client16 (refused: the recipient’s inbox is full). Sealed: only client15, client16 and you can read it. ghost has no key and cannot read it.',
      );
      await expect(coveredControls(vera)).resolves.toEqual([]);
      violations.push(...(await axeViolations(vera, 'delivery report notice')));
      await shoot(vera, 'delivery-report-notice');

      // n (or Details) shows it in full.
      await vera.keyboard.press('n');
      const details = vera.getByRole('dialog', { name: 'What became of “Three ways”' });
      await details.waitFor();
      await expect(details.locator('li').allTextContents()).resolves.toEqual([
        expect.stringMatching(/^\s*client15\s*delivered\s*$/),
        expect.stringMatching(/^\s*ghost\s*no such user on the server\s*$/),
        expect.stringMatching(/^\s*client16\s*refused: the recipient’s inbox is full\s*$/),
      ]);
      violations.push(...(await axeViolations(vera, 'delivery report')));
      await shoot(vera, 'delivery-report');
      await vera.keyboard.press('Escape');
      await details.waitFor({ state: 'detached' });

      // Sent has the email and, kept on this device, what became of it.
      await vera.getByRole('button', { name: /^Sent/ }).click();
      const sentRow = vera.locator('.item', { hasText: 'Three ways' });
      await expect(sentRow.textContent()).resolves.toMatch(/Not delivered to 2 recipients/);
      await sentRow.click();
      await vera.getByRole('heading', { name: 'Three ways' }).waitFor();
      await expect(vera.getByRole('region', { name: 'Delivery' }).textContent()).resolves.toMatch(
        /client15\s*delivered.*ghost\s*no such user on the server.*client16\s*refused: the recipient’s inbox is full/s,
      );
      violations.push(...(await axeViolations(vera, 'sent email with its delivery report')));
      await shoot(vera, 'sent-delivery-report');

      // A name the server does not know is no contact any more: it is marked as new again.
      await vera.keyboard.press('c');
      await vera.getByLabel('To').fill('ghost;');
      await vera.locator('.chip.unknown', { hasText: 'ghost' }).waitFor();
      await vera.getByRole('button', { name: 'Discard' }).click();

      // The Sent folder cannot be used (a symbolic link where it was): the email goes all the same.
      const sentFolder = join(data, 'client14', 'sent');
      rmSync(sentFolder, { recursive: true });
      mkdirSync(join(data, 'elsewhere'), { mode: 0o700 });
      symlinkSync(join(data, 'elsewhere'), sentFolder);
      await vera.keyboard.press('c');
      await vera.getByLabel('To').fill('client15;');
      await vera.getByLabel('Title').fill('No copy');
      await vera.getByRole('button', { name: 'Send', exact: true }).click();
      const noCopy = vera.locator('.notice', { hasText: 'Delivered to client15.' });
      await noCopy.waitFor();
      await expect(noCopy.locator('.text').textContent()).resolves.toBe(
        'Delivered to client15. Sealed: only client15 and you can read it. Sent has no copy of it.',
      );
      await noCopy.getByRole('button', { name: /Details/ }).click();
      const copyDetails = vera.getByRole('dialog', { name: 'What became of “No copy”' });
      await expect(copyDetails.textContent()).resolves.toMatch(
        /Sent has no copy of this email: .*client14\/sent is a symbolic link; the gateway does not follow it/,
      );
      violations.push(...(await axeViolations(vera, 'delivery report, no Sent copy')));
      await shoot(vera, 'sent-copy-problem');
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    }, 180_000);

    it('deletes on the enhanced protocol: the row goes to the Trash at once, Undo brings it back, emptying the Trash deletes on the server; reads go by id, and the classic protocol never shows another email for a shifted index', async () => {
      for (const title of ['Lunch menu', 'Old news', 'Spam offer', 'Gone elsewhere', 'Last one'])
        await deliver('client1', ['client17'], title, `This is “${title}”.`);
      // A classic page of the same user, listed now: its indexes will go stale.
      const classic = await openTab();
      await signInToInbox(classic, 'client17');
      await classic.getByRole('option', { name: /Last one/ }).waitFor();

      const wes = await openTab({ undoSeconds: 5 });
      wes.on('dialog', (dialog) => {
        if (dialog.type() === 'beforeunload') void dialog.accept();
      });
      await signInToInbox(wes, 'client17', 'enhanced');
      const row = (title: string) => wes.getByRole('option', { name: new RegExp(title) });
      await row('Last one').waitFor();
      const onServer = async (): Promise<string[]> =>
        (await listOnServer('client17')).map((item) => item.title);

      // From the reader: # moves it to the Trash at once, with Undo; nothing is deleted.
      await row('Old news').click();
      await wes.getByRole('heading', { name: 'Old news' }).waitFor();
      await wes.keyboard.press('#');
      const moved = wes.locator('.notice', {
        hasText: '“Old news” moved to the Trash: kept 30 days, then deleted from the server.',
      });
      await moved.waitFor();
      await expect(row('Old news').count()).resolves.toBe(0);
      await moved.getByRole('button', { name: /Undo/ }).focus();
      expect(await axeViolations(wes, 'moved to the Trash')).toEqual([]);
      await shoot(wes, 'delete-notice');
      await moved.getByRole('button', { name: /Undo/ }).click();
      await row('Old news').waitFor();
      expect(requestsOf(wes, 'delete')).toEqual([]);

      // The reader's Delete button, then the Delete key on the selected row of the list.
      await row('Old news').click();
      await wes.getByRole('heading', { name: 'Old news' }).waitFor();
      await wes.getByRole('button', { name: 'Delete', exact: true }).click();
      await expect.poll(() => row('Old news').count()).toBe(0);
      await wes.locator('#inbox-list').focus();
      await wes.keyboard.press('End');
      await wes.keyboard.press('k');
      await expect(wes.locator('.row.selected .title').textContent()).resolves.toBe('Spam offer');
      await wes.keyboard.press('Delete');
      await expect.poll(() => row('Spam offer').count()).toBe(0);
      // Deleted elsewhere while in the Trash here: emptying it later is no error.
      await wes.keyboard.press('End');
      await wes.keyboard.press('k');
      await expect(wes.locator('.row.selected .title').textContent()).resolves.toBe(
        'Gone elsewhere',
      );
      await wes.getByRole('button', { name: 'Delete the selected email' }).click();
      await expect.poll(() => row('Gone elsewhere').count()).toBe(0);
      // In the Trash, on the server still: nothing was deleted yet.
      expect(requestsOf(wes, 'delete')).toEqual([]);
      await expect
        .poll(onServer)
        .toEqual(['Lunch menu', 'Old news', 'Spam offer', 'Gone elsewhere', 'Last one']);
      const elsewhere = await openSocket('client17', 'enhanced');
      const listed = await elsewhere.request({ type: 'listInbox' });
      const gone =
        listed.type === 'inbox'
          ? listed.items.find((item) => item.title === 'Gone elsewhere')
          : undefined;
      expect(await elsewhere.request({ type: 'delete', emailId: need(gone?.id) })).toMatchObject({
        type: 'deleted',
      });

      // Emptying the Trash deletes on the server, by id.
      await wes
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Trash' })
        .click();
      await wes.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
      await wes.getByRole('button', { name: 'Empty the Trash' }).click();
      await wes.getByRole('button', { name: 'Delete for good' }).click();
      await wes.getByText('Your Trash is empty').waitFor();
      await expect.poll(onServer).toEqual(['Lunch menu', 'Last one']);
      await expect(wes.locator('.notice.error').count()).resolves.toBe(0);
      await wes.getByRole('button', { name: /^Inbox/ }).click();
      await row('Last one').waitFor();
      await expect(row('Gone elsewhere').count()).resolves.toBe(0);

      // A delivery arrives by itself (pushed); "Last one" is index 5 here, 2 on the server now.
      await elsewhere.request({ type: 'send', to: ['client17'], title: 'Fresh', content: 'New.' });
      await row('Fresh').waitFor();
      await row('Last one').click();
      await wes.getByRole('heading', { name: 'Last one' }).waitFor();
      await expect(wes.locator('pre[aria-label="Content"]').textContent()).resolves.toBe(
        'This is “Last one”.',
      );
      const read = requestsOf(wes, 'read').at(-1);
      const last = (await listOnServer('client17')).find((item) => item.title === 'Last one');
      expect(read?.emailId).toBe(last?.id);
      expect(read?.index).not.toBe(last?.index);
      expect(requestsOf(wes, 'listInbox')).toHaveLength(1);

      // The classic page's "Spam offer" was index 3, where the server now has "Fresh": the page
      // says the inbox changed instead of showing "Fresh" under that row.
      // The page's own check for new mail (every second here) may refresh the list before the
      // click lands, or while the read it sent is on its way: then the row is gone and its
      // reader with it, and there is no stale row to show, which is as right. Either way the
      // list ends without "Spam offer", and "Fresh" was never shown under it.
      const spam = classic.getByRole('option', { name: /Spam offer/ });
      const changed = classic
        .getByRole('alert')
        .filter({ hasText: 'The inbox changed on the server' });
      const clicked = await spam.click({ timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (clicked)
        await expect
          .poll(async () => (await changed.count()) > 0 || (await spam.count()) === 0)
          .toBe(true);
      await expect.poll(() => spam.count()).toBe(0);
      await expect(classic.getByRole('heading', { name: 'Fresh' }).count()).resolves.toBe(0);
      await classic.getByRole('option', { name: /Fresh/ }).click();
      await classic.getByRole('heading', { name: 'Fresh' }).waitFor();

      // The Trash is the gateway's: it outlives a reload, and Restore brings the email back.
      await row('Last one').click();
      await wes.keyboard.press('#');
      await expect.poll(() => row('Last one').count()).toBe(0);
      await wes.reload();
      await signInToInbox(wes, 'client17', 'enhanced');
      await row('Fresh').waitFor();
      await expect(row('Last one').count()).resolves.toBe(0);
      await wes
        .getByRole('navigation', { name: 'Folders' })
        .getByRole('button', { name: 'Trash' })
        .click();
      await wes.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
      await row('Last one').locator('.check').click();
      await wes.getByRole('button', { name: 'Restore' }).click();
      await wes.locator('.notice', { hasText: '1 email restored to the inbox.' }).waitFor();
      expect(requestsOf(wes, 'delete')).toHaveLength(0);
      await expect.poll(onServer).toEqual(['Lunch menu', 'Last one', 'Fresh']);
      await elsewhere.close();
      expect(pageErrors).toEqual([]);
    }, 240_000);

    it('shows new mail the moment the server pushes it, with no listing, says so, and measures a send by another client to the row in the page', async () => {
      const xia = await openTab();
      await signInToInbox(xia, 'client18', 'enhanced');
      await xia.getByText('New mail shows as it arrives · press ? for shortcuts').waitFor();
      await xia.getByText('New emails appear here the moment they arrive.').waitFor();
      await xia.getByRole('button', { name: 'Settings' }).click();
      const settings = xia.getByRole('dialog', { name: 'Settings' });
      await settings
        .getByText('New mail is pushed: the server tells the gateway the moment an email arrives')
        .waitFor();
      expect(await axeViolations(xia, 'settings, new mail pushed')).toEqual([]);
      await settings.getByRole('button', { name: 'Close' }).click();

      // When each row first shows, by the page's clock (the same as this process's).
      await xia.evaluate(`(() => {
      window.__rowsSeen = {};
      new MutationObserver(() => {
        for (const title of document.querySelectorAll('[role="option"] .title')) {
          const text = title.textContent ?? '';
          if (!(text in window.__rowsSeen)) window.__rowsSeen[text] = Date.now();
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    })()`);
      const sender = await openSocket('client19', 'enhanced');
      const fromSend: number[] = [];
      const fromStored: number[] = [];
      for (let i = 0; i < 20; i++) {
        const title = `Push ${String(i).padStart(2, '0')}`;
        const issued = Date.now();
        expect(
          await sender.request({ type: 'send', to: ['client18'], title, content: `Number ${i}.` }),
        ).toMatchObject({ type: 'sent', delivery: { accepted: true } });
        const stored = Date.now();
        await expect
          .poll(() =>
            xia.evaluate<number | null>(`window.__rowsSeen[${JSON.stringify(title)}] ?? null`),
          )
          .not.toBeNull();
        const seen = await xia.evaluate<number>(`window.__rowsSeen[${JSON.stringify(title)}]`);
        fromSend.push(seen - issued);
        fromStored.push(seen - stored);
      }
      await sender.close();
      const median = (values: number[]): number => {
        const sorted = [...values].sort((a, b) => a - b);
        return Math.round(((sorted[9] ?? 0) + (sorted[10] ?? 0)) / 2);
      };
      record(
        'new mail pushed, send by another client to the row: median of 20, ms',
        median(fromSend),
      );
      record(
        'new mail pushed, send by another client to the row: worst of 20, ms',
        Math.max(...fromSend),
      );
      record('new mail pushed, sent reply to the row: median of 20, ms', median(fromStored));
      record('new mail pushed, sent reply to the row: worst of 20, ms', Math.max(...fromStored));
      await expect(
        xia.locator('[role="option"]').first().getAttribute('aria-setsize'),
      ).resolves.toBe('20');
      // The page never listed the inbox again: every row came with the gateway's newMail.
      expect(requestsOf(xia, 'listInbox')).toHaveLength(1);
      expect(pageErrors).toEqual([]);
    }, 180_000);

    it('keeps what was sent in Sent: a 1,000,000-character email sent from a file is listed and opens whole; the classic protocol reports no delivery', async () => {
      const content = Array.from(
        { length: 20_000 },
        (_, i) => `${String(i).padStart(5, '0')} ${'s'.repeat(44)}`,
      )
        .join('\n')
        .slice(0, 1_000_000);
      const file = join(ui.files, 'sent-big.txt');
      writeFileSync(file, content);
      const yan = await openTab();
      await signInToInbox(yan, 'client20');
      await yan.keyboard.press('c');
      await yan.getByLabel('To').fill('client1;');
      await yan.getByLabel('Title').fill('The whole book');
      await yan.locator('#compose-file').setInputFiles(file);
      await yan.locator('.file-name strong', { hasText: 'sent-big.txt' }).waitFor();
      await yan.getByRole('button', { name: 'Send', exact: true }).click();
      await yan
        .locator('.notice', {
          hasText:
            'Handed to the server for client1. The classic protocol cannot tell whether it was delivered.',
        })
        .waitFor({ timeout: 60_000 });

      await yan.getByRole('button', { name: /^Sent/ }).click();
      const item = yan.locator('.item', { hasText: 'The whole book' });
      await item.waitFor();
      await expect(item.textContent()).resolves.toMatch(/To client1/);
      const started = Date.now();
      await item.click();
      const pre = yan.locator('.read-pane pre[aria-label="Content"]');
      await pre.waitFor();
      record(
        'open a 1,000,000-character email in Sent (click to text on screen), ms',
        Date.now() - started,
      );
      await yan.getByText('1,000,000 characters · classic protocol', { exact: false }).waitFor();
      await expect(
        yan.evaluate(
          'document.querySelector(\'.read-pane pre[aria-label="Content"]\').textContent === ' +
            JSON.stringify(content),
        ),
      ).resolves.toBe(true);
      await expect(yan.getByRole('region', { name: 'Delivery' }).textContent()).resolves.toMatch(
        /The classic protocol cannot tell whether it was delivered\./,
      );
      expect(await axeViolations(yan, 'sent email of 1,000,000 characters')).toEqual([]);
      await shoot(yan, 'sent-long');
      expect(pageErrors).toEqual([]);
    }, 180_000);
  },
);
