/**
 * Files and folders for key material on a machine that other users share: nothing here follows
 * a symbolic link or writes through one.
 *
 * A file is written whole into a temporary file in its own folder (created exclusively, never
 * through a link, with its final mode from the start), fsynced, then put in place with `link`
 * (when nothing may be there yet) or `rename` (which replaces the directory entry itself, never
 * the file a link points at), and the folder is fsynced. Folders must be real folders of the
 * current user that nobody else can write into; otherwise another user could swap an entry
 * between our checks and our writes.
 *
 * The path above the top folder is trusted: Node has no openat(), so a folder the caller names
 * is reached by its path, as the caller gave it.
 */
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A path that cannot be written safely: a link, another user's folder, a folder open to others. */
export class UnsafePathError extends Error {}

const CREATE_NEW_NO_FOLLOW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

const octalMode = (stats: Stats): string => (stats.mode & 0o777).toString(8).padStart(4, '0');

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
  if (stats.isSymbolicLink()) return `${path} is a symbolic link, not a folder`;
  if (!stats.isDirectory()) return `${path} is not a folder`;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    return `${path} belongs to uid ${stats.uid}, not to this user (uid ${uid})`;
  }
  if (stats.mode & WRITABLE_BY_GROUP_OR_OTHERS) {
    return `${path} is writable by group or others (mode ${octalMode(stats)}; chmod go-w it)`;
  }
  return undefined;
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

/** Writes a temporary file next to `path` and returns its path. */
async function writeTemporary(path: string, data: string, mode: number): Promise<string> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, CREATE_NEW_NO_FOLLOW, mode);
  try {
    // open() applies the umask; a public key must still be readable by all.
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    return temp;
  } catch (error) {
    await unlink(temp);
    throw error;
  } finally {
    await handle.close();
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file that must not exist yet; whatever is at the path (a link too) stops it. */
export async function writeNewFile(path: string, data: string, mode: number): Promise<void> {
  const temp = await writeTemporary(path, data, mode);
  try {
    await link(temp, path);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      throw new UnsafePathError(
        `${path} appeared while it was being written; it was left as it is`,
      );
    }
    throw error;
  } finally {
    await unlink(temp);
  }
  await syncFolder(dirname(path));
}

/**
 * Writes a file, replacing a regular file at the path. A symbolic link there is refused, not
 * replaced; if one appears after that check, rename still replaces the link, not its target.
 */
export async function replaceFile(path: string, data: string, mode: number): Promise<void> {
  const stats = await lstatIfPresent(path);
  const problem = stats && fileProblem(path, stats);
  if (problem) throw new UnsafePathError(problem);
  const temp = await writeTemporary(path, data, mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp);
    throw error;
  }
  await syncFolder(dirname(path));
}
