/**
 * Bidirectional-text controls in the web UI (issue 21, item 7), in a real browser (Debian's
 * Chromium, driven by playwright-core) against the real gateway and mail servers. Emails whose
 * sender, title and content carry U+202E and its kin are delivered; the list row, the search
 * result, the reader (title, sender, headers, content), the new-mail notice and the Sent folder
 * must show each control as a visible mark (⟨RLO⟩) and lay the text out in its stored order
 * ("fdp.exe", never "exe.pdf"), each field isolated from what stands around it. axe-core checks
 * each screen; with SCREENSHOTS=1, screenshots go to /tmp and test-artifacts/.
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
import { artifacts, axeViolations, picture, shoot } from './page-tools.js';
import {
  deliver,
  haveChromium,
  launchChromium,
  leaveChromium,
  PHONE_844,
  signedInTab,
} from './tabs.js';

const USERS = ['client1', 'client2'];

const RLO = '\u202E';
/** Reads "Invoice for March exe.pdf" when the override acts. */
const INVOICE = `Invoice for March ${RLO}fdp.exe`;
/** Reads "Amount: $1000" when the override acts. */
const CONTENT = `Amount: ${RLO}0001$\nPay by Friday.`;
/** A sender that reads "alice" when the override acts (written straight into the inbox). */
const SENDER = `${RLO}ecila`;
const MARK = '⟨RLO⟩';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('bidirectional controls in the web UI', { timeout: 180_000 }, () => {
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
    // A sender no real account could have: only a file written into the inbox carries it.
    const stored = formatStoredEmail(
      { from: SENDER, to: ['client2'], title: 'Lunch', content: 'At noon?' },
      '2026-11-20 09:00:00.000001',
    );
    writeFileSync(join(inboxOf(keys.dir, 'client2'), 'forged_Lunch.txt'), stored, { mode: 0o600 });
    classic = await startMailServer(home);
    enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${classic.port}`,
      '--enhanced-server',
      `127.0.0.1:${enhanced.port}`,
      '--poll',
      '1',
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

  const tab = (username: string, viewport?: { width: number; height: number }): Promise<Page> =>
    signedInTab(need(browser), need(gateway), username, { viewport, errors: pageErrors, contexts });

  /**
   * Whether `word` is laid out left to right inside the first element `selector` matches: its
   * first character's box left of its last one's. An override that acts draws it reversed.
   */
  function readsForward(page: Page, selector: string, word: string): Promise<boolean> {
    // A string, evaluated in the page: this file is checked without the DOM's types.
    return page.evaluate<boolean>(`(() => {
      const root = document.querySelector(${JSON.stringify(selector)});
      const word = ${JSON.stringify(word)};
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(word);
        if (at < 0) continue;
        const box = (offset) => {
          const range = document.createRange();
          range.setStart(node, offset);
          range.setEnd(node, offset + 1);
          return range.getBoundingClientRect();
        };
        return box(at).left < box(at + word.length - 1).left;
      }
      throw new Error('no text node holds ' + word);
    })()`);
  }

  /** The computed unicode-bidi of every element a selector matches (isolate, or what it is). */
  function isolation(page: Page, selector: string): Promise<string[]> {
    return page.evaluate<string[]>(
      `[...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => getComputedStyle(element).unicodeBidi)`,
    );
  }

  it('shows each control as a mark in the list, the search, the notice and the reader, and never lets one act', async () => {
    const violations: string[] = [];
    const bob = await tab('client2');
    const forged = bob.locator('#inbox-list [role="option"]', { hasText: 'Lunch' });
    await forged.waitFor();

    // New mail arrives while the page is open: the notice says its title.
    await deliver(need(gateway), 'client1', ['client2'], INVOICE, CONTENT);
    const notice = bob.locator('.notice', { hasText: 'New email from client1' });
    await notice.waitFor();
    // Laid out as stored first (an acting override draws "exe.pdf"), then the mark in the text.
    await expect(readsForward(bob, '.notice .text', 'fdp.exe')).resolves.toBe(true);
    await expect(notice.innerText()).resolves.toContain(`${MARK}fdp.exe`);
    await expect(notice.innerText()).resolves.not.toContain(RLO);

    // The list: the title and the forged sender, marked and in their stored order.
    const row = bob.locator('#inbox-list [role="option"]', { hasText: 'fdp.exe' });
    await row.waitFor();
    const rowText = await row.innerText();
    expect(rowText).toContain(`Invoice for March ${MARK}fdp.exe`);
    expect(rowText).not.toContain(RLO);
    expect(rowText).not.toContain('exe.pdf');
    const rowId = await row.getAttribute('id');
    await expect(readsForward(bob, `#${need(rowId ?? undefined)} .title`, 'fdp.exe')).resolves.toBe(
      true,
    );
    await expect(forged.innerText()).resolves.toContain(`${MARK}ecila`);
    const forgedId = need((await forged.getAttribute('id')) ?? undefined);
    await expect(readsForward(bob, `#${forgedId} .from`, 'ecila')).resolves.toBe(true);
    // Each field is isolated: a right-to-left name cannot reorder what stands around it.
    await expect(isolation(bob, '#inbox-list .from bdi, #inbox-list .title bdi')).resolves.toEqual(
      expect.arrayContaining(['isolate']),
    );
    expect(
      (await isolation(bob, '#inbox-list .from bdi, #inbox-list .title bdi')).every(
        (value) => value === 'isolate',
      ),
    ).toBe(true);
    // The mark has a name of its own for a screen reader.
    await expect(
      row.getByRole('img', { name: 'right-to-left override' }).count(),
    ).resolves.toBeGreaterThan(0);
    violations.push(...(await axeViolations(bob, 'bidi list')));
    await picture(bob, '/tmp/bidi-list-1280.png');
    await shoot(bob, 'bidi-list');

    // The search finds it, and the result is marked as well.
    await bob.getByLabel('Search mail').fill('fdp');
    const found = bob.locator('#inbox-list [role="option"]', { hasText: 'fdp.exe' });
    await expect.poll(() => bob.locator('#inbox-list [role="option"]').count()).toBe(1);
    await expect(found.innerText()).resolves.toContain(`Invoice for March ${MARK}fdp.exe`);
    await expect(found.locator('mark').innerText()).resolves.toBe('fdp');
    violations.push(...(await axeViolations(bob, 'bidi search')));
    await bob.getByLabel('Search mail').fill('');

    // The reader: title, sender line, headers and content.
    await row.click();
    const heading = bob.getByRole('heading', { level: 2, name: /Invoice for March/ });
    await heading.waitFor();
    await expect(heading.innerText()).resolves.toBe(`Invoice for March ${MARK}fdp.exe`);
    await expect(readsForward(bob, '#reader-title', 'fdp.exe')).resolves.toBe(true);
    await bob.locator('.reader .headers summary').click();
    const headers = await bob.locator('.reader .headers').innerText();
    expect(headers).toContain(`Invoice for March ${MARK}fdp.exe`);
    expect(headers).not.toContain(RLO);
    const body = bob.locator('.reader .body');
    // innerText counts only laid-out text (see the Sent reader below).
    await expect.poll(() => body.innerText()).toContain(`Amount: ${MARK}0001$`);
    expect(await body.innerText()).not.toContain(RLO);
    await expect(readsForward(bob, '.reader .body', '0001$')).resolves.toBe(true);
    await expect(isolation(bob, '.reader .body pre')).resolves.toEqual(['isolate']);
    // Find in the email still finds text after a mark (its offsets count the control as one).
    await bob.keyboard.press('Control+f');
    await bob.getByRole('textbox', { name: 'Find in this email' }).fill('Friday');
    await expect.poll(() => bob.locator('.find [role="status"]').innerText()).toBe('1 of 1 match');
    await expect(
      bob.evaluate<string>("[...CSS.highlights.get('find-current')][0].toString()"),
    ).resolves.toBe('Friday');
    await bob.keyboard.press('Escape');
    violations.push(...(await axeViolations(bob, 'bidi reader')));
    await picture(bob, '/tmp/bidi-reader-1280.png');
    await shoot(bob, 'bidi-reader');

    // The forged sender in the reader.
    await forged.click();
    await bob.getByRole('heading', { level: 2, name: 'Lunch' }).waitFor();
    await expect(bob.locator('.reader .sender .from').innerText()).resolves.toBe(`${MARK}ecila`);
    await expect(readsForward(bob, '.reader .sender .from', 'ecila')).resolves.toBe(true);

    // The phone.
    const phone = await tab('client2', PHONE_844);
    await phone.locator('#inbox-list [role="option"]', { hasText: 'fdp.exe' }).click();
    await phone.getByRole('heading', { level: 2, name: /Invoice for March/ }).waitFor();
    await expect(readsForward(phone, '#reader-title', 'fdp.exe')).resolves.toBe(true);
    violations.push(...(await axeViolations(phone, 'bidi reader phone')));
    await picture(phone, '/tmp/bidi-reader-390.png');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows the marks in the Sent folder and the recipient chips of the composer', async () => {
    const alice = await tab('client1');
    await alice.keyboard.press('c');
    const to = alice.getByLabel('To');
    await to.fill(`ev${RLO}li;`);
    // The sealing plan for the names redraws the chips when it comes: measure after it.
    await alice.locator('#compose-sealing').waitFor();
    const chip = alice.locator('.chip', { hasText: 'li' });
    await expect(chip.innerText()).resolves.toContain(`ev${MARK}li`);
    await expect(readsForward(alice, '.chip', 'li')).resolves.toBe(true);
    await alice.getByRole('button', { name: `Remove ev${MARK}li` }).click();
    await to.fill('client2;');
    await alice.getByLabel('Title').fill(`Quote ${RLO}fdp.exe`);
    await alice.locator('#compose-content').fill(`Total ${RLO}0001$`);
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    const anyway = alice.getByRole('button', { name: 'Send anyway' });
    await alice.locator('.notice', { hasText: 'Delivered' }).or(anyway).first().waitFor();
    if (await anyway.isVisible()) await anyway.click();
    await alice.locator('.notice', { hasText: 'Delivered' }).waitFor();

    await alice.getByRole('button', { name: /^Sent/ }).click();
    const item = alice.locator('.items button', { hasText: 'Quote' });
    await item.waitFor();
    await expect(item.innerText()).resolves.toContain(`Quote ${MARK}fdp.exe`);
    await expect(readsForward(alice, '.items .title', 'fdp.exe')).resolves.toBe(true);
    await item.click();
    const title = alice.locator('#sent-title');
    await title.waitFor();
    await expect(title.innerText()).resolves.toBe(`Quote ${MARK}fdp.exe`);
    // innerText counts only laid-out text, and a piece is laid out when it comes into view.
    await expect
      .poll(() => alice.locator('.reader pre').innerText())
      .toContain(`Total ${MARK}0001$`);
    await expect(readsForward(alice, '.reader pre', '0001$')).resolves.toBe(true);
    expect(await axeViolations(alice, 'bidi sent')).toEqual([]);
    await picture(alice, '/tmp/bidi-sent-1280.png');
    expect(pageErrors).toEqual([]);
  });
});
