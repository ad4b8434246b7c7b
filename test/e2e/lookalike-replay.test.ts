/**
 * Look-alike senders and replayed copies in the web UI, in a real browser (Debian's Chromium,
 * driven by playwright-core), against the real gateway and enhanced mail server. The server's
 * operator adds a user `cIient1` (capital i) with a key of its own and plants an email sealed in
 * that name in client2's inbox: its row carries a "Looks like client1" mark with an accessible
 * name, and the reader a warning. Then it puts back a byte-for-byte copy of a genuine sealed
 * email client3 has read: the copy is marked as a copy of an email already received. axe-core
 * checks each screen; with SCREENSHOTS=1, screenshots (desktop and phone, light and dark) go to
 * test-artifacts/.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatReceivedTime, formatStoredEmail, nowMicros } from '../../protocol/email.js';
import { armour } from '../../protocol/sealed/armour.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import {
  Browser as GatewaySocket,
  gatewayCookie,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { artifacts, axeViolations, LAPTOP, PHONE, shoot, shownText } from './page-tools.js';
import { haveChromium, launchChromium, leaveChromium } from './chromium.js';

const LOOKALIKE = 'cIient1';
const password = (username: string): string => `password${username.replace(/\D/g, '')}`;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the test setup did not finish');
  return value;
}

describe.skipIf(!haveChromium)(
  'look-alikes and replays in the web UI',
  { timeout: 180_000 },
  () => {
    let keys: { dir: string; cleanup: () => void } | undefined;
    let enhanced: RunningServer | undefined;
    let gateway: RunningGateway | undefined;
    let browser: Browser | undefined;
    const lookalike = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(join(repoRoot, 'web/dist/index.html')))
        throw new Error('web/dist is not built: run npm run build first');
      mkdirSync(artifacts, { recursive: true });
      keys = await makeKeySetup(['client1', 'client2', 'client3']);
      const home = serverHome(keys.dir);
      // The operator's user: a look-alike of client1 with a key pair of its own.
      writeFileSync(
        join(home, `${LOOKALIKE}_public.pem`),
        lookalike.publicKey.export({ type: 'spki', format: 'pem' }),
      );
      const passwords = join(home, 'user_pass.json');
      const records = JSON.parse(readFileSync(passwords, 'utf8')) as Record<string, string>;
      writeFileSync(passwords, JSON.stringify({ ...records, [LOOKALIKE]: 'operator' }));
      chmodSync(passwords, 0o600);
      enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
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
    });

    afterAll(async () => {
      await leaveChromium(browser);
      await gateway?.stop();
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

    async function signedInTab(
      username: string,
      options: { viewport?: { width: number; height: number }; dark?: boolean } = {},
    ): Promise<Page> {
      const context = await need(browser).newContext({
        viewport: options.viewport ?? LAPTOP,
        colorScheme: options.dark ? 'dark' : 'light',
      });
      contexts.push(context);
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

    /** The operator writes an email straight into a user's inbox folder. */
    function plant(user: string, name: string, text: string): void {
      writeFileSync(join(inboxOf(need(keys).dir, user), name), text);
    }

    async function openRow(page: Page, row: ReturnType<Page['locator']>, title: string) {
      await row.click();
      await page.getByRole('heading', { name: title, level: 2 }).waitFor();
    }

    it('flags an email sealed by cIient1 as from a look-alike of client1, in the row and the reader', async () => {
      const sealed = sealEmail({
        sender: LOOKALIKE,
        senderPrivateKey: lookalike.privateKey,
        title: 'Payroll',
        content: 'New bank details: pay account 0000-6666.',
        recipients: ['client2'],
        readers: [
          {
            name: 'client2',
            publicKey: createPublicKey(
              readFileSync(join(serverHome(need(keys).dir), 'client2_public.pem')),
            ),
          },
        ],
      });
      plant(
        'client2',
        `${LOOKALIKE}_Payroll.txt`,
        formatStoredEmail(
          { from: LOOKALIKE, to: ['client2'], title: 'Payroll', content: armour(sealed) },
          formatReceivedTime(nowMicros()),
        ),
      );
      const violations: string[] = [];
      for (const [shape, viewport, dark] of [
        ['desktop-light', LAPTOP, false],
        ['phone-dark', PHONE, true],
      ] as const) {
        const bob = await signedInTab('client2', { viewport, dark });
        const row = bob.locator('#inbox-list [role="option"]', { hasText: 'Payroll' });
        await row.waitFor();
        // Seen and heard in the list, before opening anything.
        await expect(row.locator('.lookalike-mark').textContent()).resolves.toContain(
          'Looks like client1',
        );
        await expect(shownText(row)).resolves.toContain(
          `Warning: ${LOOKALIKE} looks like client1 but is a different user`,
        );
        violations.push(...(await axeViolations(bob, `look-alike row, ${shape}`)));
        await shoot(bob, `lookalike-row-${shape.split('-')[0] ?? ''}`);
        await openRow(bob, row, 'Payroll');
        const warning = bob.getByRole('alert', { name: 'Look-alike sender' });
        await expect(shownText(warning)).resolves.toMatch(
          /Warning: cIient1 looks like client1 but is a different user\.\s*In a typewriter font: cIient1, not client1; character 2 is capital I, where client1 has small l\./,
        );
        violations.push(...(await axeViolations(bob, `look-alike reader, ${shape}`)));
        await shoot(bob, `lookalike-reader-${shape.split('-')[0] ?? ''}`);
      }
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    });

    it('marks a byte-for-byte copy of a sealed email already read as a copy, not new mail', async () => {
      const { base, token } = need(gateway);
      const socket = await GatewaySocket.open(base, await gatewayCookie(base, token));
      await socket.request({
        type: 'signIn',
        server: '',
        username: 'client1',
        password: password('client1'),
        protocol: 'enhanced',
      });
      const sent = await socket.request({
        type: 'send',
        to: ['client3'],
        title: 'Team meeting',
        content: 'Thursday at ten, room 4.',
      });
      expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
      await socket.request({ type: 'signOut' });
      await socket.close();

      const carol = await signedInTab('client3');
      const rows = carol.locator('#inbox-list [role="option"]', { hasText: 'Team meeting' });
      await openRow(carol, rows.first(), 'Team meeting');
      await expect(carol.getByRole('alert', { name: /Copy of an email/ }).count()).resolves.toBe(0);

      // The operator puts the very same file back under another name: same receive time too.
      const folder = inboxOf(need(keys).dir, 'client3');
      const name = need(readdirSync(folder).find((file) => file.includes('Team meeting')));
      plant('client3', `again-${name}`, readFileSync(join(folder, name), 'utf8'));
      // Listed at the next check (the server pushes only what it delivers itself).
      await expect
        .poll(async () => {
          await carol.getByRole('button', { name: 'Check for new mail' }).click();
          return rows.count();
        })
        .toBe(2);

      const violations: string[] = [];
      // The copy is the row not open now (its read mark is the original's: same sender, time, title).
      await carol.locator('#inbox-list .row:not(.opened)', { hasText: 'Team meeting' }).click();
      const copy = carol.getByRole('alert', { name: 'Copy of an email already received' });
      await expect(shownText(copy)).resolves.toMatch(
        /A copy of an email already received\.\s*The same sealed email was received .+ and first opened .+\. The server stored it again: it is not new mail\./,
      );
      violations.push(...(await axeViolations(carol, 'replayed copy')));
      await shoot(carol, 'replay-copy-desktop');

      // The first one, the row not open now, still opens as itself.
      await carol.locator('#inbox-list .row:not(.opened)', { hasText: 'Team meeting' }).click();
      // Shown once the reader has it: the lock, and no copy warning.
      await expect
        .poll(() => carol.getByRole('region', { name: 'Sealed email', exact: true }).count())
        .toBe(1);
      await expect(
        carol.getByRole('alert', { name: 'Copy of an email already received' }).count(),
      ).resolves.toBe(0);
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  },
);
