/**
 * Files only this user may see, on the client machine: folders 0700 that are real folders
 * (never a symbolic link), owned by this user and writable by nobody else; files 0600 written
 * whole or not at all as every file is (common/safe-files.ts) and read without following a link.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { folderProblem, writeFileSafely, type FolderProblem } from '../../common/safe-files.js';

/** A folder that is not safe to keep private files in, named as the browser may be told. */
export class UnsafeFolderError extends Error {
  constructor(shownAs: string, problem: string) {
    super(`${shownAs} ${problem}`);
    this.name = 'UnsafeFolderError';
  }
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

const PROBLEM_WORDS: Record<FolderProblem['kind'], string> = {
  link: 'is a symbolic link; the gateway does not follow it',
  'not-folder': 'is not a folder',
  'other-owner': 'belongs to another user',
  'open-to-others': 'can be written by other users',
};

function checkFolder(path: string, shownAs: string): void {
  const problem = folderProblem(lstatSync(path));
  if (problem) throw new UnsafeFolderError(shownAs, PROBLEM_WORDS[problem.kind]);
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
  writeFileSafely(folder, name, data, { mode: 0o600, place: 'new' });
}
