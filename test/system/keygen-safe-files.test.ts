import { afterEach, describe, expect, it } from 'vitest';
import {
  chmodSync,
  existsSync,
  linkSync,
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
import {
  ensurePrivateFolder,
  replaceFile,
  UnsafePathError,
  writeNewFile,
} from '../../scripts/safe-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-safe-files-'));
  dirs.push(dir);
  return dir;
};

const UNTOUCHED = 'not for the key writer\n';
const modeOf = (path: string): number => lstatSync(path).mode & 0o777;

/** A folder with a file `target` and, at `key.pem`, a symbolic link to it (or to nothing). */
function folderWithLink(dangling: boolean): { folder: string; link: string; target: string } {
  const folder = tempDir();
  const target = join(tempDir(), 'target');
  if (!dangling) writeFileSync(target, UNTOUCHED);
  const link = join(folder, 'key.pem');
  symlinkSync(target, link);
  return { folder, link, target };
}

// A link that appears after the key generator's checks (during key generation) meets these
// writers, which never open the final path: they write a fresh temporary file and then link or
// rename it into place.
describe('safe file writers', () => {
  it('writeNewFile writes the file whole with its mode, and leaves no temporary file', async () => {
    const folder = tempDir();
    await writeNewFile(join(folder, 'a_public.pem'), 'public\n', 0o644);
    await writeNewFile(join(folder, 'a_private.pem'), 'private\n', 0o600);
    expect(readdirSync(folder).sort()).toEqual(['a_private.pem', 'a_public.pem']);
    expect(readFileSync(join(folder, 'a_public.pem'), 'utf8')).toBe('public\n');
    expect(modeOf(join(folder, 'a_public.pem'))).toBe(0o644);
    expect(modeOf(join(folder, 'a_private.pem'))).toBe(0o600);
  });

  it.each([false, true])(
    'writeNewFile refuses a link at the path (dangling: %s) and does not write its target',
    async (dangling) => {
      const { folder, link, target } = folderWithLink(dangling);
      await expect(writeNewFile(link, 'secret\n', 0o600)).rejects.toThrow(
        new UnsafePathError(`${link} appeared while it was being written; it was left as it is`),
      );
      if (dangling) expect(existsSync(target)).toBe(false);
      else expect(readFileSync(target, 'utf8')).toBe(UNTOUCHED);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readdirSync(folder)).toEqual(['key.pem']);
    },
  );

  it.each([false, true])(
    'replaceFile refuses a link at the path (dangling: %s) and does not write its target',
    async (dangling) => {
      const { folder, link, target } = folderWithLink(dangling);
      await expect(replaceFile(link, 'secret\n', 0o600)).rejects.toThrow(UnsafePathError);
      if (dangling) expect(existsSync(target)).toBe(false);
      else expect(readFileSync(target, 'utf8')).toBe(UNTOUCHED);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readdirSync(folder)).toEqual(['key.pem']);
    },
  );

  it('replaceFile replaces the directory entry, never the file behind it (a hard link)', async () => {
    const folder = tempDir();
    const other = join(folder, 'other');
    writeFileSync(other, UNTOUCHED, { mode: 0o666 });
    const key = join(folder, 'key.pem');
    linkSync(other, key);
    await replaceFile(key, 'private\n', 0o600);
    expect(readFileSync(other, 'utf8')).toBe(UNTOUCHED);
    expect(readFileSync(key, 'utf8')).toBe('private\n');
    expect(modeOf(key)).toBe(0o600);
    expect(readdirSync(folder).sort()).toEqual(['key.pem', 'other']);
  });

  it('ensurePrivateFolder makes 0700 folders and refuses a link or a folder open to others', async () => {
    const top = join(tempDir(), 'a', 'b');
    await ensurePrivateFolder(top, true);
    expect(modeOf(top)).toBe(0o700);
    await ensurePrivateFolder(top);

    const open = join(top, 'open');
    mkdirSync(open);
    chmodSync(open, 0o757);
    await expect(ensurePrivateFolder(open)).rejects.toThrow(
      `${open} is writable by group or others (mode 0757; chmod go-w it)`,
    );
    const link = join(top, 'link');
    symlinkSync(tempDir(), link);
    await expect(ensurePrivateFolder(link)).rejects.toThrow(`${link} is a symbolic link`);
  });
});
