/**
 * Another local user plants symbolic links or opens folders before `npm run keygen` runs.
 *
 * These tests often run as root (CI containers, sandboxes). Root ignores permission bits, so
 * they cannot show that another user is really kept out of a 0700 folder, or that a non-root
 * keygen is denied a write; they check what keygen decides from lstat (symbolic links, owner
 * uid, mode bits), which does not depend on who runs it. A folder owned by another user needs
 * chown, so that test runs only as root.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from '../helpers/processes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-keygen-'));
  dirs.push(dir);
  return dir;
};

const keygen = (out: string, ...flags: string[]) =>
  runNode('scripts/keygen.js', ['--out', out, '--users', 'alice,bob', ...flags]);

const UNTOUCHED = 'the attacker wants this file overwritten\n';

/** A file of the victim's, elsewhere, that a planted link points at. */
function targetFile(name: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, UNTOUCHED);
  return path;
}

/** Replaces a file that keygen wrote with a symbolic link to `target`. */
function plantLink(path: string, target: string): void {
  rmSync(path);
  symlinkSync(target, path);
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => lstatSync(path).isFile())
    .sort();

describe('key generator against planted links and open folders', () => {
  it('without --force, a link at user_pass.json stops the run before anything is written', async () => {
    const passwordsTarget = targetFile('stolen-passwords');
    const danglingTarget = join(tempDir(), 'created-by-keygen');
    for (const target of [passwordsTarget, danglingTarget]) {
      const out = tempDir();
      mkdirSync(join(out, 'server'), { mode: 0o700 });
      const link = join(out, 'server', 'user_pass.json');
      symlinkSync(target, link);

      const run = await keygen(out);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${link} is a symbolic link (never written through`);
      expect(readdirSync(join(out, 'server'))).toEqual(['user_pass.json']);
      expect(readdirSync(out)).toEqual(['server']);
    }
    expect(readFileSync(passwordsTarget, 'utf8')).toBe(UNTOUCHED);
    expect(existsSync(danglingTarget)).toBe(false);
  });

  it('with --force, a link at server_private.pem is refused: not followed, not replaced', async () => {
    const out = tempDir();
    expect((await keygen(out)).code).toBe(0);
    const serverPublic = readFileSync(join(out, 'server', 'server_public.pem'), 'utf8');
    const keyTarget = targetFile('stolen-server-key');
    const link = join(out, 'server', 'server_private.pem');
    plantLink(link, keyTarget);

    const run = await keygen(out, '--force');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${link} is a symbolic link`);
    expect(readFileSync(keyTarget, 'utf8')).toBe(UNTOUCHED);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(out, 'server', 'server_public.pem'), 'utf8')).toBe(serverPublic);
  });

  // A link planted later, while the keys are being generated, meets the file writer itself:
  // test/keygen-safe-files.test.ts shows that it never opens the final path.
  it('with --force, links planted at every file are all reported and none is written through', async () => {
    const out = tempDir();
    expect((await keygen(out)).code).toBe(0);
    const links = filesUnder(out);
    expect(links).toContain(join(out, 'alice', 'alice_private.pem'));
    const targets = links.map((link, i) => {
      // Every other link dangles: writing through it would create its target.
      const target = i % 2 === 0 ? targetFile(`target-${i}`) : join(tempDir(), `missing-${i}`);
      plantLink(link, target);
      return target;
    });

    const run = await keygen(out, '--force');
    expect(run.code).toBe(2);
    for (const link of links) expect(run.stderr).toContain(`${link} is a symbolic link`);
    for (const [i, target] of targets.entries()) {
      if (i % 2 === 0) expect(readFileSync(target, 'utf8')).toBe(UNTOUCHED);
      else expect(existsSync(target)).toBe(false);
    }
    for (const link of links) expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a user folder that is a link is refused, with or without --force', async () => {
    const out = tempDir();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, join(out, 'alice'));
    for (const flags of [[], ['--force']]) {
      const run = await keygen(out, ...flags);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${join(out, 'alice')} is a symbolic link, not a folder`);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(readdirSync(out)).toEqual(['alice']);
    }
  });

  it('an --out folder, or a folder inside it, writable by others is refused; 0755 is fine', async () => {
    const out = tempDir();
    chmodSync(out, 0o777);
    const openOut = await keygen(out);
    expect(openOut.code).toBe(2);
    expect(openOut.stderr).toContain(`${out} is writable by group or others (mode 0777`);
    expect(readdirSync(out)).toEqual([]);

    chmodSync(out, 0o755);
    mkdirSync(join(out, 'bob'));
    chmodSync(join(out, 'bob'), 0o770);
    const openInside = await keygen(out);
    expect(openInside.code).toBe(2);
    expect(openInside.stderr).toContain(`${join(out, 'bob')} is writable by group or others`);
    expect(readdirSync(out)).toEqual(['bob']);

    chmodSync(join(out, 'bob'), 0o700);
    expect((await keygen(out)).code).toBe(0);
    expect(lstatSync(join(out, 'alice', 'alice_private.pem')).isFile()).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)(
    'a folder owned by another user is refused, --out included',
    async () => {
      const out = tempDir();
      mkdirSync(join(out, 'server'), { mode: 0o700 });
      chownSync(join(out, 'server'), 65534, 65534);
      const inside = await keygen(out, '--force');
      expect(inside.code).toBe(2);
      expect(inside.stderr).toContain(
        `${join(out, 'server')} belongs to uid 65534, not to this user (uid 0)`,
      );
      expect(readdirSync(join(out, 'server'))).toEqual([]);

      const otherOut = tempDir();
      chownSync(otherOut, 65534, 65534);
      const run = await keygen(otherOut);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${otherOut} belongs to uid 65534`);
      expect(readdirSync(otherOut)).toEqual([]);
    },
  );
});
