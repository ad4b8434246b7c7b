/**
 * Sealed mail in the web UI, in a real browser (Debian's Chromium, driven by playwright-core),
 * against the real gateway and enhanced mail server: the sent notice says for whom an email was
 * sealed, Settings shows the keys to compare, the reader shows the lock and "verified", and an
 * email edited on the server's disk is shown with the warning and without its content. axe-core
 * checks each screen; with SCREENSHOTS=1, screenshots go to test-artifacts/.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { ARMOUR_BEGIN } from '../../protocol/sealed/suite.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, LAPTOP, shoot, shownText } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium, undoSecondsScript } from './chromium.js';

const USERS = ['client1', 'client2', 'client3'];
const password = (username: string): string => `password${username.replace(/\D/g, '')}`;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)('sealed mail in the web UI', { timeout: 180_000 }, () => {
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

  const fingerprintOf = (user: string): string =>
    keyFingerprint(
      createPublicKey(readFileSync(join(serverHome(need(keys).dir), `${user}_public.pem`))),
    );

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

  /** Sends from another client of the gateway (a socket, as a second browser would), sealed. */
  async function sendSealed(from: string, to: string[], title: string, content: string) {
    const { base, token } = need(gateway);
    const socket = await GatewaySocket.open(base, await gatewayCookie(base, token));
    const signedIn = await socket.request({
      type: 'signIn',
      server: '',
      username: from,
      password: password(from),
      protocol: 'enhanced',
    });
    expect(signedIn.type).toBe('signedIn');
    const sent = await socket.request({ type: 'send', to, title, content });
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    await socket.request({ type: 'signOut' });
    await socket.close();
  }

  async function openEmail(page: Page, title: string): Promise<void> {
    await page.locator('#inbox-list').getByText(title).first().click();
    await page.getByRole('heading', { name: title, level: 2 }).waitFor();
  }

  it('sends sealed, says for whom, shows the keys to compare, and the recipient reads it with the lock and "verified"', async () => {
    const violations: string[] = [];
    const alice = await signedInTab('client1');
    await alice.keyboard.press('c');
    await alice.getByLabel('To').fill('client2;');
    await alice.getByLabel('Title').fill('Quarterly figures');
    await alice.locator('#compose-content').fill('Revenue up 12 % 😀, keep it quiet.');
    // Before the send, the composer says it will be sealed, for whom, and whose key it uses.
    await expect
      .poll(async () => (await shownText(alice.locator('#compose-sealing'))).trim())
      .toBe('Sealed: only client2 (key in your keyring) and you can read it.');
    // (drawn as the sealed line, not the warning's)
    await expect(alice.locator('#compose-sealing.plain').count()).resolves.toBe(0);
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    // A name never seen on this device is confirmed first.
    const anyway = alice.getByRole('button', { name: 'Send anyway' });
    if (await anyway.isVisible().catch(() => false)) await anyway.click();
    const notice = alice.locator('.notice', { hasText: 'Sealed:' });
    await notice.waitFor();
    await expect(notice.locator('.text').textContent()).resolves.toBe(
      'Delivered to client2. Sealed: only client2 and you can read it.',
    );
    violations.push(...(await axeViolations(alice, 'sealed send notice')));

    // Settings: the user's own fingerprint and the keyring's, to compare with their owners.
    await alice.getByRole('button', { name: 'Settings' }).click();
    const keysSection = alice.getByRole('region', { name: 'Keys' });
    await keysSection.waitFor();
    await expect(keysSection.locator('dd').first().textContent()).resolves.toContain(
      fingerprintOf('client1'),
    );
    const rows = await keysSection.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(USERS.length);
    USERS.forEach((user, i) => {
      expect(rows[i]).toContain(user);
      expect(rows[i]).toContain(fingerprintOf(user));
    });
    violations.push(...(await axeViolations(alice, 'settings with keys')));
    await shoot(alice, 'sealed-settings-keys');
    await alice.keyboard.press('Escape');

    const bob = await signedInTab('client2');
    await openEmail(bob, 'Quarterly figures');
    const status = bob.getByRole('region', { name: 'Sealed email', exact: true });
    await expect(status.locator('.status').textContent()).resolves.toMatch(
      /Sealed\.\s*Signed by client1, verified\./,
    );
    await status.locator('summary').click();
    await expect(status.textContent()).resolves.toContain(fingerprintOf('client1'));
    await expect(bob.locator('.reader .body').textContent()).resolves.toContain(
      'Revenue up 12 % 😀, keep it quiet.',
    );
    violations.push(...(await axeViolations(bob, 'sealed email, verified')));
    await shoot(bob, 'sealed-email-verified');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows an email edited on the server\u2019s disk with the warning, and none of its content', async () => {
    await sendSealed('client1', ['client3'], 'Invoice 42', 'Pay to account DE44 1234 5678.');
    const folder = inboxOf(need(keys).dir, 'client3');
    const name = readdirSync(folder).find((file) => file.includes('Invoice 42'));
    const file = join(folder, need(name));
    const text = readFileSync(file, 'utf8');
    // The operator changes one character in the middle of the sealed body.
    const at = text.indexOf(`${ARMOUR_BEGIN}\n`) + ARMOUR_BEGIN.length + 200;
    writeFileSync(file, `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`);

    const carol = await signedInTab('client3');
    await openEmail(carol, 'Invoice 42');
    const warning = carol.getByRole('alert').filter({ hasText: 'does not verify' });
    await expect(warning.textContent()).resolves.toMatch(
      /Warning: this sealed email does not verify\.\s*The signature of client1 does not hold: this email was altered or forged after it was sealed\. Its content is not shown\./,
    );
    await expect(carol.locator('.reader .body').textContent()).resolves.toMatch(
      /The content is not shown/,
    );
    await expect(carol.locator('.reader').textContent()).resolves.not.toContain('DE44');
    await expect(
      carol.getByRole('region', { name: 'Sealed email', exact: true }).count(),
    ).resolves.toBe(0);
    expect(await axeViolations(carol, 'sealed email, altered')).toEqual([]);
    await shoot(carol, 'sealed-email-altered');
    expect(pageErrors).toEqual([]);
  });
});
