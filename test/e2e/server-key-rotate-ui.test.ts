/**
 * The web UI in a real browser during a server key rotation: the first enhanced sign-in after
 * `admin server-key rotate` shows, once, that the gateway's machine now holds the server's new
 * key; the next sign-in verifies with it and says nothing of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../protocol/crypto.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { serverHome } from '../helpers/keys.js';
import { runNode } from '../helpers/processes.js';
import { haveChromium, webUiSuite } from './web-ui-suite.js';

const fingerprintOf = (file: string): string =>
  keyFingerprint(parsePublicKey(readFileSync(file), file));

describe.skipIf(!haveChromium)(
  'web UI in Chromium: a server key rotation',
  { timeout: 180_000 },
  () => {
    const ui = webUiSuite();

    it('tells the user once that the server key was replaced, and verifies the new key next time', async () => {
      const home = serverHome(ui.keys.dir);
      const rotated = await runNode('scripts/admin.js', ['--home', home, 'server-key', 'rotate']);
      expect(rotated.code).toBe(0);
      const newFingerprint = fingerprintOf(join(home, 'server_public.pem'));

      const first = await ui.openTab();
      await ui.signInToInbox(first, 'client1', 'enhanced');
      const notice = first.locator('.notice', { hasText: "The server's key was replaced" });
      await notice.waitFor();
      await expect(notice.textContent()).resolves.toContain(
        `now holds the new key (${newFingerprint})`,
      );
      expect(fingerprintOf(join(ui.keys.dir, 'client1', 'server_public.pem'))).toBe(newFingerprint);

      // Another browser's sign-in, a session child of its own reading the key folder afresh:
      // verified with the new key, and nothing more to tell.
      const second = await ui.openTab();
      await ui.signInToInbox(second, 'client1', 'enhanced');
      await expect(second.locator('.account .proto').getAttribute('title')).resolves.toBe(
        `Server key SHA-256 ${newFingerprint}`,
      );
      await expect(second.locator('.notice').allTextContents()).resolves.not.toContainEqual(
        expect.stringContaining("The server's key was replaced"),
      );
      expect(ui.pageErrors).toEqual([]);
    });
  },
);
