/**
 * The web client's smaller faults of issue 26, in a real browser (Debian's Chromium, driven by
 * playwright-core) against the real gateway and mail servers: where the caret goes in a reply,
 * what the composer is called, how a forward reads, the search header's layout on a desktop
 * and a phone, the shortcuts dialog, discarding with Undo, the sealed headers, an empty
 * password, how long a locked username waits, and a gateway with no room for a session.
 * axe-core checks each screen; with SCREENSHOTS=1, screenshots go to /tmp.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatStoredEmail } from '../../protocol/email.js';
import { startGatewayProcess, type RunningGateway } from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, coveredControls, LAPTOP, picture } from './page-tools.js';
import {
  deliver,
  haveChromium,
  launchChromium,
  leaveChromium,
  openTab,
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

describe.skipIf(!haveChromium)('the web client, polished', { timeout: 180_000 }, () => {
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
    vi.setConfig({ expect: { poll: { timeout: 10_000 } } });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    pageErrors.length = 0;
  });

  const tab = (username: string, viewport?: { width: number; height: number }): Promise<Page> =>
    signedInTab(need(browser), need(gateway), username, { viewport, errors: pageErrors, contexts });

  const focusedId = (page: Page): Promise<string> =>
    page.evaluate<string>("document.activeElement?.id ?? ''");
  const caret = (page: Page): Promise<[number, number]> =>
    page.evaluate<[number, number]>(
      "(() => { const box = document.getElementById('compose-content'); return [box.selectionStart, box.selectionEnd]; })()",
    );
  const chips = (page: Page): Promise<string[]> =>
    page.locator('.chip > span:first-child').allInnerTexts();

  async function openEmail(page: Page, title: string): Promise<void> {
    await page.locator('#inbox-list [role="option"]', { hasText: title }).first().click();
    await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
  }

  it('puts the caret above the quote in a reply and a reply to all, names each composer, and forwards a "Forwarded message" block', async () => {
    const violations: string[] = [];
    await deliver(
      need(gateway),
      'client1',
      ['client2', 'client4'],
      'Lunch on Friday',
      'Shall we try the pizza?\nSee you.',
    );
    const bob = await tab('client2');
    await openEmail(bob, 'Lunch on Friday');

    // Reply: the caret on the first line, so what is typed goes above the quote.
    await bob.locator('#reader-title').focus();
    await bob.keyboard.press('r');
    await bob.getByRole('heading', { name: 'Reply', exact: true }).waitFor();
    await expect.poll(() => focusedId(bob)).toBe('compose-content');
    await expect(caret(bob)).resolves.toEqual([0, 0]);
    await bob.keyboard.type('Sounds good.');
    await expect(bob.locator('#compose-content').inputValue()).resolves.toMatch(
      /^Sounds good\.\n\nOn \d{4}-\d\d-\d\d \d\d:\d\d, client1 wrote:\n> Shall we try the pizza\?\n> See you\.$/,
    );
    await expect(bob.getByRole('region', { name: 'Reply', exact: true }).count()).resolves.toBe(1);
    violations.push(...(await axeViolations(bob, 'reply')));
    await picture(bob, '/tmp/polish-reply-1280.png');
    await bob.getByRole('button', { name: 'Close (the draft is kept)' }).click();

    // Reply to all: the same, and its own heading.
    await openEmail(bob, 'Lunch on Friday');
    await bob.getByRole('button', { name: 'Reply all' }).click();
    await bob.getByRole('heading', { name: 'Reply to all', exact: true }).waitFor();
    await expect(chips(bob)).resolves.toEqual(['client1', 'client4']);
    await expect.poll(() => focusedId(bob)).toBe('compose-content');
    await expect(caret(bob)).resolves.toEqual([0, 0]);
    await bob.getByRole('button', { name: 'Close (the draft is kept)' }).click();

    // Forward: the headers as a block, the time to the minute, the text whole (not quoted).
    await openEmail(bob, 'Lunch on Friday');
    await bob.getByRole('button', { name: 'Forward' }).click();
    await bob.getByRole('heading', { name: 'Forward', exact: true }).waitFor();
    const forwarded = await bob.locator('#compose-content').inputValue();
    expect(forwarded).toMatch(
      /^\n\n---------- Forwarded message ----------\nFrom: client1\nDate: \d{4}-\d\d-\d\d \d\d:\d\d\nTitle: Lunch on Friday\nTo: client2, client4\n\nShall we try the pizza\?\nSee you\.$/,
    );
    await expect(caret(bob)).resolves.toEqual([0, 0]);
    violations.push(...(await axeViolations(bob, 'forward')));
    await picture(bob, '/tmp/polish-forward-1280.png');
    await bob.getByRole('button', { name: 'Close (the draft is kept)' }).click();

    // The phone: the same reply.
    const phone = await tab('client2', PHONE_844);
    await openEmail(phone, 'Lunch on Friday');
    await phone.getByRole('button', { name: 'Reply', exact: true }).click();
    await phone.getByRole('heading', { name: 'Reply', exact: true }).waitFor();
    await expect(caret(phone)).resolves.toEqual([0, 0]);
    violations.push(...(await axeViolations(phone, 'reply phone')));
    await picture(phone, '/tmp/polish-reply-390.png');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps Delete and Check for new mail in the list pane when a search of 10,002 emails matches none', async () => {
    const violations: string[] = [];
    for (const [name, viewport] of [
      ['1280', LAPTOP],
      ['390', PHONE_844],
    ] as const) {
      const page = await tab(BIG_INBOX, viewport);
      const count = page.locator('.head .count');
      await expect.poll(() => count.innerText()).toBe('10,002 emails');
      await page.getByLabel('Search mail').fill('no such words');
      await expect.poll(() => count.innerText()).toBe('0 matches of 10,002 emails');
      const pane = need((await page.locator('.list-pane').boundingBox()) ?? undefined);
      for (const label of ['Delete the selected email', 'Check for new mail']) {
        const box = need(
          (await page.getByRole('button', { name: label }).boundingBox()) ?? undefined,
        );
        expect(box.x).toBeGreaterThanOrEqual(pane.x);
        expect(box.x + box.width).toBeLessThanOrEqual(pane.x + pane.width);
        expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
        // On the title's row, not pushed below it.
        const heading = need(
          (await page.getByRole('heading', { name: 'Inbox', exact: true }).boundingBox()) ??
            undefined,
        );
        expect(Math.abs(box.y + box.height / 2 - (heading.y + heading.height / 2))).toBeLessThan(
          box.height,
        );
      }
      await expect(coveredControls(page)).resolves.toEqual([]);
      violations.push(...(await axeViolations(page, `search header ${name}`)));
      await picture(page, `/tmp/polish-search-${name}.png`);
    }
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
  it('discards a draft at once with Undo (no confirm()), and warns of nothing as fields and notices go with the focus in them', async () => {
    const violations: string[] = [];
    const dialogs: string[] = [];
    const alice = await tab('client1');
    alice.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss();
    });
    await alice.keyboard.press('c');
    await alice.getByLabel('To').fill('client2;');
    await alice.getByLabel('Title').fill('Half written');
    await alice.locator('#compose-content').fill('A first line.');
    // The focus in the content box as the composer goes (Svelte warned derived_inert here).
    await alice.locator('#compose-content').focus();
    await alice.getByRole('button', { name: 'Discard' }).click();
    await alice.getByRole('heading', { name: 'New email' }).waitFor({ state: 'detached' });
    const notice = alice.locator('.notice', { hasText: 'Draft discarded.' });
    await notice.waitFor();
    expect(dialogs).toEqual([]);
    violations.push(...(await axeViolations(alice, 'draft discarded')));
    await picture(alice, '/tmp/polish-discarded-1280.png');
    await notice.getByRole('button', { name: 'Undo' }).click();
    await alice.getByRole('heading', { name: 'New email' }).waitFor();
    await expect(chips(alice)).resolves.toEqual(['client2']);
    await expect(alice.getByLabel('Title').inputValue()).resolves.toBe('Half written');
    await expect(alice.locator('#compose-content').inputValue()).resolves.toBe('A first line.');

    // Sent with Ctrl+Enter from the content box: the composer goes with the focus in it.
    await alice.locator('#compose-content').focus();
    await alice.keyboard.press('Control+Enter');
    const anyway = alice.getByRole('button', { name: 'Send anyway' });
    const delivered = alice.locator('.notice', { hasText: 'Delivered' });
    await delivered.or(anyway).first().waitFor();
    if (await anyway.isVisible()) await anyway.click();
    await delivered.waitFor();
    // A notice dismissed with the focus on its own button.
    await delivered.getByRole('button', { name: 'Dismiss' }).click();
    await delivered.waitFor({ state: 'detached' });
    await expect(alice.locator('#inbox-list, .empty').first().isVisible()).resolves.toBe(true);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
  it('sends no sign-in with an empty password (it would count as a wrong one), and says what is missing', async () => {
    const page = await openTab(need(browser), need(gateway), { errors: pageErrors, contexts });
    const sent: string[] = [];
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') sent.push(frame.payload);
      });
    });
    // Loaded again, so the listener sees the page's socket from its start.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('Username').fill('client1');
    await page.getByLabel('Password').fill('');
    await page.getByRole('radio', { name: 'Enhanced' }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toBe('Type your password.');
    await expect
      .poll(() => page.evaluate<string>("document.activeElement?.getAttribute('name') ?? ''"))
      .toBe('password');
    expect(sent.some((frame) => frame.includes('"authenticate"'))).toBe(true);
    expect(sent.filter((frame) => frame.includes('"signIn"'))).toEqual([]);
    expect(await axeViolations(page, 'sign-in, empty password')).toEqual([]);
    await picture(page, '/tmp/polish-empty-password-390.png');
    // With the password, the sign-in goes.
    await page.getByLabel('Username').fill('client1');
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    expect(sent.filter((frame) => frame.includes('"signIn"'))).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  it('says how long to wait once wrong passwords lock a username, and that the gateway is busy when it serves all the sessions it may', async () => {
    const violations: string[] = [];
    const page = await openTab(need(browser), need(gateway), { errors: pageErrors, contexts });
    const waits: number[] = [];
    page.on('websocket', (socket) => {
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload !== 'string') return;
        const reply = JSON.parse(frame.payload) as { code?: string; retryAfterSeconds?: number };
        if (reply.code === 'RATE_LIMITED' && reply.retryAfterSeconds !== undefined)
          waits.push(reply.retryAfterSeconds);
      });
    });
    // Loaded again, so the listener sees the page's socket from its start.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('Username').fill('client4');
    await page.getByRole('radio', { name: 'Enhanced' }).check();
    const passwordField = page.getByLabel('Password');
    const alert = page.getByRole('alert');
    // Three wrong passwords are free (the default --sign-in-limit); each one after makes client4
    // wait, 1 s, then 2, 4, 8 s: a try pressed while the wait runs is refused with its length.
    // (A machine too slow to press within the wait only gets one more wrong password.)
    const locked = (text: string): boolean => text.startsWith('Too many attempts');
    let shown = '';
    for (let tries = 0; tries < 8 && !locked(shown); tries++) {
      await passwordField.fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The form empties the password field once the answer is in.
      await expect.poll(() => passwordField.inputValue()).toBe('');
      shown = await alert.innerText();
      if (!locked(shown))
        expect(shown).toBe('The username or password is wrong. Check them and try again.');
    }
    await expect.poll(() => waits).toHaveLength(1);
    const wait = need(waits[0]);
    expect(shown).toBe(
      `Too many attempts. Wait ${wait} ${wait === 1 ? 'second' : 'seconds'}, then try again.`,
    );
    violations.push(...(await axeViolations(page, 'sign-in, locked for a while')));
    await picture(page, '/tmp/polish-sign-in-locked.png');

    // A gateway that serves one session at a time, and has one: the next sign-in is told it is busy.
    const small = await startGatewayProcess([...gatewayArgs(), '--max-sessions', '1']);
    try {
      await signedInTab(need(browser), small, 'client1', { errors: pageErrors, contexts });
      const other = await openTab(need(browser), small, { errors: pageErrors, contexts });
      await other.getByLabel('Username').fill('client2');
      await other.getByLabel('Password').fill('password2');
      await other.getByRole('radio', { name: 'Enhanced' }).check();
      await other.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(() => other.getByRole('alert').innerText())
        .toBe(
          'The gateway is busy: the gateway already serves 1 session. Try again in a minute, or sign out of a session you no longer use.',
        );
      violations.push(...(await axeViolations(other, 'sign-in, gateway busy')));
      await picture(other, '/tmp/polish-sign-in-busy.png');
    } finally {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      await small.stop();
    }
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the protocol in the phone\u2019s header, says "press ?" only where there are keys, opens the shortcuts at the top, and lists the unsigned time apart in a sealed email', async () => {
    const violations: string[] = [];
    await deliver(need(gateway), 'client1', ['client2'], 'Sealed note', 'Signed text.', 'enhanced');
    for (const [name, viewport] of [
      ['1280', LAPTOP],
      ['390', PHONE_844],
    ] as const) {
      const page = await tab('client2', viewport);
      const proto = page.locator('header .proto');
      await expect(proto.isVisible()).resolves.toBe(true);
      await expect(proto.innerText()).resolves.toBe('Enhanced protocol, server verified');
      const box = need((await proto.boundingBox()) ?? undefined);
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      const status = page.locator('.notices .idle');
      await expect(status.innerText()).resolves.toBe(
        viewport === LAPTOP
          ? 'New mail shows as it arrives · press ? for shortcuts'
          : 'New mail shows as it arrives',
      );
      violations.push(...(await axeViolations(page, `header ${name}`)));
      await picture(page, `/tmp/polish-header-${name}.png`);

      // The shortcuts open at their top, the title in view (before: scrolled to Close).
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      await expect(
        page.evaluate<number>("document.querySelector('dialog').scrollTop"),
      ).resolves.toBe(0);
      const title = need(
        (await help.getByRole('heading', { name: 'Keyboard shortcuts' }).boundingBox()) ??
          undefined,
      );
      expect(title.y).toBeGreaterThanOrEqual(0);
      await expect.poll(() => focusedId(page)).toBe('shortcuts-title');
      violations.push(...(await axeViolations(page, `shortcuts ${name}`)));
      await picture(page, `/tmp/polish-shortcuts-${name}.png`);
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'detached' });

      // A sealed email: From, To and Title as signed; the server's time apart, not signed.
      await openEmail(page, 'Sealed note');
      await page.locator('.reader .headers summary').click();
      const signed = page.locator('.reader .headers dl').first();
      await expect(signed.innerText()).resolves.not.toContain('Time and Date');
      await expect(page.locator('.reader .headers').innerText()).resolves.toMatch(
        /Added by the server, not signed:\s*Time and Date:?\s*\d{4}-\d\d-\d\d/,
      );
      violations.push(...(await axeViolations(page, `sealed headers ${name}`)));
      await picture(page, `/tmp/polish-sealed-headers-${name}.png`);
    }
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
