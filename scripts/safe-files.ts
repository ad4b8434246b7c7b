/**
 * Files and folders for key material on a machine that other users share: nothing here follows
 * a symbolic link or writes through one.
 *
 * Files are written as every file of the project is (common/safe-files.ts); this module words
 * its refusals for the key generator's user, naming paths as they were given. Folders must be
 * real folders of the current user that nobody else can write into; otherwise another user could
 * swap an entry between our checks and our writes.
 *
 * The path above the top folder is trusted: Node has no openat(), so a folder the caller names
 * is reached by its path, as the caller gave it.
 */
import { type Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { folderProblem as problemOf, writeFileSafely } from '../common/safe-files.js';

/** A path that cannot be written safely: a link, another user's folder, a folder open to others. */
export class UnsafePathError extends Error {}

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** lstat, or undefined when nothing is at the path. */
export async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Why an existing folder must not be written into, or undefined when it is safe. */
export function folderProblem(path: string, stats: Stats): string | undefined {
  const problem = problemOf(stats);
  switch (problem?.kind) {
    case undefined:
      return undefined;
    case 'link':
      return `${path} is a symbolic link, not a folder`;
    case 'not-folder':
      return `${path} is not a folder`;
    case 'other-owner':
      return `${path} belongs to uid ${problem.owner}, not to this user (uid ${problem.self})`;
    case 'open-to-others':
      return `${path} is writable by group or others (mode ${problem.mode}; chmod go-w it)`;
  }
}

/** Why an existing file must not be replaced, or undefined when it is a regular file. */
export function fileProblem(path: string, stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) {
    return `${path} is a symbolic link (never written through; remove it first)`;
  }
  if (!stats.isFile()) return `${path} is not a regular file`;
  return undefined;
}

/**
 * Makes a folder (mode 0700) unless it exists, then checks what is there, whoever made it.
 * `withParents` also makes missing folders above it.
 */
export async function ensurePrivateFolder(path: string, withParents = false): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700, recursive: withParents });
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  const problem = folderProblem(path, await lstat(path));
  if (problem) throw new UnsafePathError(problem);
}

/** Writes a file that must not exist yet; whatever is at the path (a link too) stops it. */
export async function writeNewFile(path: string, data: string, mode: number): Promise<void> {
  await Promise.resolve();
  try {
    writeFileSafely(dirname(path), basename(path), data, { mode, place: 'new' });
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      throw new UnsafePathError(
        `${path} appeared while it was being written; it was left as it is`,
      );
    }
    throw error;
  }
}

/**
 * Writes a file, replacing a regular file at the path. A symbolic link there is refused, not
 * replaced; if one appears after that check, rename still replaces the link, not its target.
 */
export async function replaceFile(path: string, data: string, mode: number): Promise<void> {
  const stats = await lstatIfPresent(path);
  const problem = stats && fileProblem(path, stats);
  if (problem) throw new UnsafePathError(problem);
  writeFileSafely(dirname(path), basename(path), data, { mode, place: 'replace' });
}
