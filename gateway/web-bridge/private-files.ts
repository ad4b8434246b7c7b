/**
 * Files only this user may see, on the client machine: folders 0700 that are real folders
 * (never a symbolic link), owned by this user and writable by nobody else; files 0600 written
 * whole or not at all (a temporary file in the same folder, opened O_EXCL|O_NOFOLLOW, fsync,
 * then a hard link to the final name, which never replaces a file) and read without following
 * a link.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewFile as writeNewFileWithMode } from '../../protocol/new-file.js';

/** A folder that is not safe to keep private files in, named as the browser may be told. */
export class UnsafeFolderError extends Error {
  constructor(shownAs: string, problem: string) {
    super(`${shownAs} ${problem}`);
    this.name = 'UnsafeFolderError';
  }
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

function checkFolder(path: string, shownAs: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink())
    throw new UnsafeFolderError(shownAs, 'is a symbolic link; the gateway does not follow it');
  if (!stat.isDirectory()) throw new UnsafeFolderError(shownAs, 'is not a folder');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new UnsafeFolderError(shownAs, 'belongs to another user');
  if ((stat.mode & 0o022) !== 0)
    throw new UnsafeFolderError(shownAs, 'can be written by other users');
}

/**
 * `root/names...`, each level checked (and made, mode 0700, when `create` is set). Returns
 * undefined when a level is missing and `create` is not set. Errors name folders relative to
 * `root` (and `root` itself as `shownRoot`), so that no absolute path reaches a browser.
 */
export function privateFolder(
  root: string,
  names: readonly string[],
  { create, shownRoot }: { create: boolean; shownRoot: string },
): string | undefined {
  for (let level = 0; level <= names.length; level++) {
    const below = names.slice(0, level);
    const path = join(root, ...below);
    const shown = level === 0 ? shownRoot : below.join('/');
    if (create) {
      try {
        mkdirSync(path, { mode: 0o700, recursive: level === 0 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    try {
      checkFolder(path, shown);
    } catch (error) {
      if (!create && isMissing(error)) return undefined;
      throw error;
    }
  }
  return join(root, ...names);
}

/** Writes a new file `folder/name` (0600), whole or not at all; fails if the name is taken. */
export function writeNewFile(folder: string, name: string, data: Buffer): void {
  writeNewFileWithMode(folder, name, data, 0o600);
}

/**
 * The first bytes of a regular file (all of it when it is shorter), without following a link.
 * Undefined when there is no such file; throws when it is larger than `maxBytes` and `whole`.
 */
export function readPrivateFile(
  path: string,
  maxBytes: number,
  { whole }: { whole: boolean },
): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: the name is a symbolic link, which is never one of ours.
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    if (whole && stat.size > maxBytes) throw new Error(`a file of ${stat.size} bytes is too large`);
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
