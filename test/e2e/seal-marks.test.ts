/**
 * Every email says what it is (docs/SEALED.md, section 8), in a real Chromium against the real
 * gateway and enhanced mail server: the server's operator plants a plain "Payroll" email in
 * client2's name in client1's inbox after client2 sealed mail to client1; the list marks each
 * row with an accessible name, the reader warns outside the content, Settings shows where each
 * key came from and marks one verified after comparing fingerprints, and Sent marks sealed
 * emails and keeps each delivery report with its item, read back in a fresh browser profile.
 * An ordinary plain email (from a name with no key and no sealed mail) carries the plain note; a
 * plain email in the name of someone whose key client1 holds and has used (sealed to) is warned;
 * a sealed email of client2's stored under a Title line the operator chose is marked in the list.
 * With SCREENSHOTS=1, screenshots go to test-artifacts/ (seal-marks-*), at 1280×800 and 390×844,
 * light and dark.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatReceivedTime, formatStoredEmail, nowMicros } from '../../protocol/email.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { armour } from '../../protocol/sealed/armour.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { codePointLength } from '../../protocol/text.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, LAPTOP, shoot, shownText } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium, undoSecondsScript } from './chromium.js';

const USERS = ['client1', 'client2', 'client3', 'client4'];
const PHONE_TALL = { width: 390, height: 844 };
const password = (username: string): string => `password${username.replace(/\D/g, '')}`;
const FAKE_BANNER = '🔒 Sealed. Signed by client2, verified.';

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('what each email is, in the web UI', { timeout: 240_000 }, () => {
  let keys: { dir: string; cleanup: () => void } | undefined;
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
    enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${enhanced.port}`,
      '--enhanced-server',
      `127.0.0.1:${enhanced.port}`,
      '--poll',
      '1',
    ]);
    browser = await launchChromium();
    vi.setConfig({ expect: { poll: { timeout: 10_000 } } });
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await leaveChromium(browser);
    await gateway?.stop();
    await enhanced?.stop();
    keys?.cleanup();
  });

  const publicKeyOf = (user: string): KeyObject =>
    createPublicKey(readFileSync(join(serverHome(need(keys).dir), `${user}_public.pem`)));
  const fingerprintOf = (user: string): string => keyFingerprint(publicKeyOf(user));

  /** A browser profile of its own, signed in to the enhanced server as `username`. */
  async function signedInTab(username: string): Promise<Page> {
    const context = await need(browser).newContext({ viewport: LAPTOP, colorScheme: 'light' });
    contexts.push(context);
    await context.addInitScript(undoSecondsScript());
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    const { base, token } = need(gateway);
    await page.goto(`${base}/?token=${token}`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password(username));
    await page.getByRole('radio', { name: 'Enhanced' }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    return page;
  }

  /** Sends sealed from another client of the gateway (a socket, as a second browser would). */
  async function sendSealed(from: string, to: string[], title: string, content: string) {
    const { base, token } = need(gateway);
    const socket = await GatewaySocket.open(base, await gatewayCookie(base, token));
    await socket.request({
      type: 'signIn',
      server: '',
      username: from,
      password: password(from),
      protocol: 'enhanced',
    });
    const sent = await socket.request({ type: 'send', to, title, content });
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    await socket.request({ type: 'signOut' });
    await socket.close();
  }

  /** The operator writes a plain email into an inbox folder, in anyone's name. */
  function plant(to: string, from: string, title: string, content: string): void {
    const text = formatStoredEmail(
      { from, to: [to], title, content },
      formatReceivedTime(nowMicros()),
      codePointLength(content),
    );
    writeFileSync(join(inboxOf(need(keys).dir, to), `${from}_${title.slice(0, 20)}.txt`), text);
  }

  const rowOf = (page: Page, title: string) =>
    page.locator('#inbox-list [role="option"]').filter({ hasText: title });

  async function openEmail(page: Page, title: string): Promise<void> {
    await rowOf(page, title).first().click();
    await page.getByRole('heading', { name: title, level: 2 }).waitFor();
  }

  /** Both sizes, both schemes. */
  async function shootBoth(page: Page, name: string): Promise<void> {
    await shoot(page, `seal-marks-${name}-desktop`);
    await page.setViewportSize(PHONE_TALL);
    await shoot(page, `seal-marks-${name}-phone`);
    await page.setViewportSize(LAPTOP);
  }

  it('warns on a plain email planted in the name of a correspondent who seals, and marks every row', async () => {
    const violations: string[] = [];
    await sendSealed('client2', ['client1'], 'Team meeting', 'Thursday at ten, room 4.');
    plant(
      'client1',
      'client2',
      'Payroll: new bank details',
      `${FAKE_BANNER}\nPlease pay my salary to account 0000-6666 from now on.`,
    );
    const page = await signedInTab('client1');
    await rowOf(page, 'Payroll').waitFor();
    // Before anything is opened: the session child's background opening (the content search's
    // indexer) gives each row its real mark.
    await expect
      .poll(() =>
        rowOf(page, 'Payroll')
          .getByRole('img', {
            name: 'Not sealed, though client2 has sealed mail to you before: it may be forged',
          })
          .count(),
      )
      .toBe(1);
    await expect(
      rowOf(page, 'Team meeting')
        .getByRole('img', { name: 'Sealed, signed by client2, verified (key from your keyring)' })
        .count(),
    ).resolves.toBe(1);

    await openEmail(page, 'Team meeting');
    await expect(
      rowOf(page, 'Team meeting')
        .getByRole('img', { name: 'Sealed, signed by client2, verified (key from your keyring)' })
        .count(),
    ).resolves.toBe(1);
    await expect(
      page.getByRole('region', { name: 'Sealed email', exact: true }).textContent(),
    ).resolves.toMatch(/Signed by client2, verified\.\s*Key: from your keyring\./);

    await openEmail(page, 'Payroll: new bank details');
    const warning = page.getByRole('alert').filter({ hasText: 'not sealed' });
    await expect(warning.textContent()).resolves.toMatch(
      /Warning: this email is not sealed, though client2 has sent you sealed mail before\..*could have written it in client2’s name/,
    );
    // The warning is above the content's border, and the content's fake banner is inside it.
    const banner = await warning.boundingBox();
    const body = await page.locator('.reader .body').boundingBox();
    expect(need(banner ?? undefined).y).toBeLessThan(need(body ?? undefined).y);
    await expect(page.locator('.reader .body').textContent()).resolves.toContain(FAKE_BANNER);
    await expect(
      page.getByRole('region', { name: 'Sealed email', exact: true }).count(),
    ).resolves.toBe(0);
    await expect(
      rowOf(page, 'Payroll')
        .getByRole('img', {
          name: 'Not sealed, though client2 has sealed mail to you before: it may be forged',
        })
        .count(),
    ).resolves.toBe(1);
    violations.push(...(await axeViolations(page, 'plain email from a sealer')));
    await shootBoth(page, 'plain-warning');
    await openEmail(page, 'Team meeting');
    await shootBoth(page, 'sealed-verified');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows where each key came from, compares fingerprints side by side and marks one verified; Sent marks sealed and keeps the report', async () => {
    const violations: string[] = [];
    // client3's key is not in client1's keyring: it is fetched from the server when first used.
    rmSync(join(need(keys).dir, 'client1', 'keyring', 'client3_public.pem'));
    await sendSealed('client3', ['client1'], 'From the server', 'Hello from client3.');
    const page = await signedInTab('client1');
    await openEmail(page, 'From the server');
    await expect(
      page.getByRole('region', { name: 'Sealed email', exact: true }).textContent(),
    ).resolves.toContain(`Key: from the server, not compared (${fingerprintOf('client3')})`);
    await expect(
      rowOf(page, 'From the server')
        .getByRole('img', { name: /key from the server, not compared/ })
        .count(),
    ).resolves.toBe(1);
    await shootBoth(page, 'sealed-server-key');

    await page.getByRole('button', { name: 'Settings' }).click();
    const keysSection = page.getByRole('region', { name: 'Keys' });
    const row3 = keysSection.locator('tbody tr').filter({ hasText: 'client3' });
    await expect(row3.textContent()).resolves.toContain('from the server, not compared');
    await expect(
      keysSection.locator('tbody tr').filter({ hasText: 'client2' }).textContent(),
    ).resolves.toContain('from your keyring');
    await row3.getByRole('button', { name: 'Compare the key of client3' }).click();
    const compare = page.getByRole('region', { name: 'Compare the key of client3' });
    const mark = compare.getByRole('button', { name: 'Mark as verified' });
    await expect(mark.isDisabled()).resolves.toBe(true);
    await compare.getByLabel(/reads from their Settings/).fill('SHA256:' + 'A'.repeat(43));
    await expect(compare.getByRole('status').textContent()).resolves.toMatch(/They differ/);
    await expect(mark.isDisabled()).resolves.toBe(true);
    await compare.getByLabel(/reads from their Settings/).fill(fingerprintOf('client3'));
    await expect(compare.getByRole('status').textContent()).resolves.toBe('They match.');
    violations.push(...(await axeViolations(page, 'comparing a key')));
    await shootBoth(page, 'compare-key');
    await mark.click();
    await expect.poll(() => row3.textContent()).toContain('verified by you');
    await shootBoth(page, 'key-verified');
    await page.getByRole('dialog').getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    // Sent: a sealed email, its mark, and its report. (The button, not the shortcut: a key
    // pressed while the closed dialog's close event is still on its way is ignored.)
    await page.locator('#compose-button').click();
    // (the combobox: a row's mark may say "to you" too)
    await page.getByRole('combobox', { name: 'To' }).fill('client2;');
    await page.getByLabel('Title').fill('Sealed to client2');
    await page.locator('#compose-content').fill('Kept with its report.');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const anyway = page.getByRole('button', { name: 'Send anyway' });
    if (await anyway.isVisible().catch(() => false)) await anyway.click();
    await page.locator('.notice', { hasText: 'Sealed:' }).waitFor();

    // A fresh browser profile: nothing of the send is in this browser's storage.
    const fresh = await signedInTab('client1');
    await fresh.getByRole('button', { name: /^Sent/ }).first().click();
    const item = fresh.locator('.items li').filter({ hasText: 'Sealed to client2' });
    // The Sent list arrives after the click: wait for the row before counting its marks.
    await item.waitFor();
    await expect(item.getByRole('img', { name: 'Sealed' }).count()).resolves.toBe(1);
    await item.getByRole('button').click();
    await fresh.getByRole('heading', { name: 'Sealed to client2', level: 2 }).waitFor();
    const delivery = fresh.getByRole('region', { name: 'Delivery' });
    await expect(delivery.textContent()).resolves.toMatch(/client2/);
    await expect(delivery.textContent()).resolves.not.toMatch(/No delivery report/);
    await expect(fresh.locator('.sealing').textContent()).resolves.toMatch(/^Sealed\./);
    violations.push(...(await axeViolations(fresh, 'sent item with its report')));
    await shootBoth(fresh, 'sent-report');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('marks an ordinary plain email, warns on one from a key holder, and marks a sealed email whose title the server changed', async () => {
    const violations: string[] = [];
    // client1 seals to client4: client4's key is now held and used (pinned) by client1, and
    // client4 has never sealed mail to client1.
    await sendSealed('client1', ['client4'], 'Key check', 'Sealed to client4.');
    plant('client1', 'client4', 'Invoice 7731', 'Please pay invoice 7731 to account 0000-7731.');
    // helpdesk: no user, no key anywhere, nothing sealed: an ordinary plain email.
    plant('client1', 'helpdesk', 'Printer fixed', 'The printer on floor 2 works again.');
    // client2's sealed "Team lunch" to client1, as client2's gateway seals it, stored by the
    // server under a Title line of its own choosing.
    const signed = armour(
      sealEmail({
        sender: 'client2',
        senderPrivateKey: setupKeys(need(keys).dir, 'client2').privateKey(),
        title: 'Team lunch',
        content: 'Friday at noon, my treat.',
        recipients: ['client1'],
        readers: [{ name: 'client1', publicKey: publicKeyOf('client1') }],
      }),
    );
    plant('client1', 'client2', 'Lunch cancelled, pay the deposit', signed);

    const page = await signedInTab('client1');
    const PLAIN_MARK = 'Not sealed: the server could have written it';
    const HOLDER_MARK = 'Not sealed, though client4 has a key: it may be forged';
    const ALTERED_MARK = 'Sealed by client2, but the server changed its From, To or Title line';
    // Before anything is opened, each row gets its mark from the session's background opening.
    await expect
      .poll(() => rowOf(page, 'Printer fixed').getByRole('img', { name: PLAIN_MARK }).count())
      .toBe(1);
    await expect
      .poll(() => rowOf(page, 'Invoice 7731').getByRole('img', { name: HOLDER_MARK }).count())
      .toBe(1);
    await expect
      .poll(() => rowOf(page, 'Lunch cancelled').getByRole('img', { name: ALTERED_MARK }).count())
      .toBe(1);
    // Each row says one thing: the ordinary plain one is no warning, the altered one no "verified".
    await expect(
      rowOf(page, 'Printer fixed')
        .getByRole('img', { name: /may be forged/ })
        .count(),
    ).resolves.toBe(0);
    await expect(
      rowOf(page, 'Lunch cancelled')
        .getByRole('img', { name: /verified/ })
        .count(),
    ).resolves.toBe(0);
    violations.push(...(await axeViolations(page, 'list with plain, key holder and altered rows')));
    await shootBoth(page, 'list-marks');

    // The ordinary plain email: the quiet note, outside the content, and no warning.
    await openEmail(page, 'Printer fixed');
    const note = page.getByRole('region', { name: 'Not sealed', exact: true });
    await expect
      .poll(async () => (await shownText(note)).trim())
      .toBe(
        'Not sealed. The mail server could have written or changed it; the sender is not verified.',
      );
    await expect(page.getByRole('alert').filter({ hasText: 'not sealed' }).count()).resolves.toBe(
      0,
    );
    await expect(
      page.getByRole('region', { name: 'Sealed email', exact: true }).count(),
    ).resolves.toBe(0);
    const noteBox = await note.boundingBox();
    const plainBody = await page.locator('.reader .body').boundingBox();
    expect(need(noteBox ?? undefined).y).toBeLessThan(need(plainBody ?? undefined).y);
    violations.push(...(await axeViolations(page, 'ordinary plain email')));
    await shootBoth(page, 'plain-note');

    // The key holder's plain email: the strong warning, in the key holder's words.
    await openEmail(page, 'Invoice 7731');
    const warning = page.getByRole('alert').filter({ hasText: 'not sealed' });
    await expect
      .poll(() => warning.textContent())
      .toMatch(
        /Warning: this email is not sealed, though client4 has a key to seal with\..*could have written it in client4’s name/,
      );
    await expect(warning.textContent()).resolves.not.toMatch(/sent you sealed mail before/);
    await expect(
      page.getByRole('region', { name: 'Not sealed', exact: true }).count(),
    ).resolves.toBe(0);
    violations.push(...(await axeViolations(page, 'plain email from a key holder')));
    await shootBoth(page, 'plain-key-holder');

    // The altered one opens with what client2 signed, and its row keeps the mark.
    await rowOf(page, 'Lunch cancelled').click();
    await page.getByRole('heading', { name: 'Team lunch', level: 2 }).waitFor();
    await expect(
      page.getByRole('alert', { name: 'Sealed email: warning' }).textContent(),
    ).resolves.toMatch(
      /Warning: the server changed this email’s lines\..*Title line.*Signed by client2\./,
    );
    await expect(
      rowOf(page, 'Lunch cancelled').getByRole('img', { name: ALTERED_MARK }).count(),
    ).resolves.toBe(1);
    violations.push(...(await axeViolations(page, 'sealed email with an altered title')));
    await shootBoth(page, 'envelope-altered');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
