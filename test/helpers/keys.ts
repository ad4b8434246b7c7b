import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeySetup } from '../../scripts/key-setup.js';

const templates = new Map<string, Promise<string>>();

/**
 * A fresh key setup (out/server and out/<user>) in a temporary folder. Key pairs are made
 * once per users list and test file, then copied, so each test gets its own inboxes cheaply.
 */
export async function makeKeySetup(
  users: readonly string[] = ['client1', 'client2', 'client3', 'client4', 'client5'],
): Promise<{ dir: string; cleanup: () => void }> {
  const id = users.join(',');
  let template = templates.get(id);
  if (!template) {
    template = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-keys-'));
      await writeKeySetup({ out: dir, users });
      return dir;
    })();
    templates.set(id, template);
  }
  const source = await template;
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-test-'));
  cpSync(source, dir, { recursive: true });
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const serverHome = (dir: string): string => join(dir, 'server');
export const inboxOf = (dir: string, user: string): string => join(dir, 'server', user);
