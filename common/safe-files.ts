/**
 * The one way every program of the project writes a file: the server's emails, index and
 * throttle state, the client machine's keys, keyring, Sent folder and the key generator's output.
 *
 * Durability policy, the same for every file: the data goes into a temporary file in the
 * destination's own folder (created exclusively, never through a symbolic link, with its final
 * mode from the start), is fsynced, and only then gets its name, by `link` (a new file: never
 * replaces anything, a symbolic link included) or `rename` (a replacement: swaps the directory
 * entry, never writes through a link); then the folder is fsynced. A caller that is told the
 * write succeeded can rely on the file, whole, after a crash; a crash before that leaves either
 * the old state or nothing, and at most a temporary file, which `removeTempFiles` finds by its
 * name (`.tmp.<pid>.<random>`) and removes at recovery.
 *
 * An append (a pin, an index journal line) is one write with O_APPEND, so that lines of several
 * processes never mix, never through a symbolic link, then fsynced, except where the caller
 * says the file is a cache that is rebuilt from the truth (the inbox index's journal).
 *
 * Reading never follows a symbolic link either, and checks the size before allocating.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

const TEMP_PREFIX = '.tmp.';
const CREATE_NEW_NO_FOLLOW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const APPEND_NO_FOLLOW =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

/** How a written file gets its name: `new` fails (EEXIST) when anything is there. */
export type Placement = 'new' | 'replace';

/** The prefix of the temporary files of one process, so that recovery finds a dead one's. */
export const tempFilePrefix = (pid: number): string => `${TEMP_PREFIX}${pid}.`;

/** Whether a name is one of this module's temporary files (never an email, key or state file). */
export const isTempFileName = (name: string): boolean => name.startsWith(TEMP_PREFIX);

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

export function fsyncFolder(folder: string): void {
  const fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` into a new temporary file of `folder`, fsynced; returns its path and inode. */
function writeTemporary(
  folder: string,
  data: Buffer | string,
  mode: number,
): { temp: string; ino: number } {
  const temp = join(folder, `${tempFilePrefix(process.pid)}${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, CREATE_NEW_NO_FOLLOW, mode);
  try {
    // The umask may only take bits away; this makes the mode exact.
    fchmodSync(fd, mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
    return { temp, ino: fstatSync(fd).ino };
  } catch (error) {
    unlinkSync(temp);
    throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `folder/name` whole with exactly `mode`, under the policy above. With `new`, throws the
 * link's EEXIST error when the name is taken, whatever is there; nothing is left behind either
 * way. Returns the inode the name now has.
 */
export function writeFileSafely(
  folder: string,
  name: string,
  data: Buffer | string,
  { mode, place }: { mode: number; place: Placement },
): { ino: number } {
  const { temp, ino } = writeTemporary(folder, data, mode);
  let renamed = false;
  try {
    if (place === 'new') linkSync(temp, join(folder, name));
    else {
      renameSync(temp, join(folder, name));
      renamed = true;
    }
  } finally {
    // After a link, or a rename that failed, the temporary name is still there.
    if (!renamed) unlinkSync(temp);
  }
  fsyncFolder(folder);
  return { ino };
}

/**
 * Writes a new file under the first of `nameFor(1)`, `nameFor(2)`, ... that is free (a link
 * never replaces what is there), under the policy above. Returns the name it took.
 */
export function writeFileUnderFreeName(
  folder: string,
  nameFor: (attempt: number) => string,
  data: Buffer | string,
  mode: number,
): string {
  const { temp } = writeTemporary(folder, data, mode);
  try {
    for (let attempt = 1; ; attempt++) {
      const name = nameFor(attempt);
      try {
        linkSync(temp, join(folder, name));
        fsyncFolder(folder);
        return name;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(temp);
  }
}

/**
 * Appends `data` to a regular file (made with `mode` if missing) in one write; `durable: false`
 * only for a cache (see the policy above). Throws NotRegularFileError when something else is
 * at the path.
 */
export function appendWhole(
  path: string,
  data: Buffer | string,
  { mode, durable }: { mode: number; durable: boolean },
): void {
  let fd: number;
  try {
    fd = openSync(path, APPEND_NO_FOLLOW, mode);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw new NotRegularFileError('link');
    throw error;
  }
  let created = false;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotRegularFileError('not-file');
    created = stats.size === 0;
    // One write: O_APPEND places it whole at the end, after any other process's line.
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (durable && created) fsyncFolder(dirname(path));
}

/** Removes a file and makes its removal durable; false when there was none. */
export function removeFileDurably(folder: string, name: string): boolean {
  try {
    unlinkSync(join(folder, name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  fsyncFolder(folder);
  return true;
}

/** Whether a process of this id runs (a file's writer that died left it abandoned). */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return errorCode(error) === 'EPERM';
  }
};

/**
 * Removes this module's temporary files from a folder: those of one (dead) process, or, without
 * `owner`, those of every process that no longer runs (so that a program starting beside others
 * sharing the folder never takes away a file one of them is writing). Returns the names
 * removed; a folder that is gone or is not one holds none.
 */
export function removeTempFiles(folder: string, owner?: number): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isTempFileName(name)) continue;
    const pid = Number(name.slice(TEMP_PREFIX.length).split('.')[0]);
    const abandoned =
      owner === undefined ? !(Number.isSafeInteger(pid) && isRunning(pid)) : pid === owner;
    if (!abandoned) continue;
    try {
      unlinkSync(join(folder, name));
      removed.push(name);
    } catch {
      // Already gone.
    }
  }
  return removed;
}

/** A file that is larger than its reader allows. */
export class FileTooLargeError extends Error {
  readonly bytes: number;
  constructor(bytes: number) {
    super(`a file of ${bytes} bytes is too large`);
    this.name = 'FileTooLargeError';
    this.bytes = bytes;
  }
}

/** Something at a path that a reader asked to be told of: a symbolic link, or not a file. */
export class NotRegularFileError extends Error {
  readonly kind: 'link' | 'not-file';
  constructor(kind: 'link' | 'not-file') {
    super(
      kind === 'link' ? 'is a symbolic link, which is never followed' : 'is not a regular file',
    );
    this.name = 'NotRegularFileError';
    this.kind = kind;
  }
}

export interface ReadOptions {
  /** A file larger than `maxBytes` throws FileTooLargeError; else its first `maxBytes` are read. */
  whole?: boolean;
  /** What a link or a folder at the path gives: undefined (`absent`), or NotRegularFileError. */
  others?: 'absent' | 'throw';
}

/**
 * The bytes of a regular file, never through a symbolic link; undefined when there is nothing at
 * the path. The size is checked before anything is allocated.
 */
export function readRegularFile(
  path: string,
  maxBytes: number,
  { whole = true, others = 'absent' }: ReadOptions = {},
): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // ELOOP: the name is a symbolic link, which is never ours.
    if (code === 'ELOOP') {
      if (others === 'throw') throw new NotRegularFileError('link');
      return undefined;
    }
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      if (others === 'throw') throw new NotRegularFileError('not-file');
      return undefined;
    }
    if (whole && stats.size > maxBytes) throw new FileTooLargeError(stats.size);
    const buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes));
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

/** Why a folder must not hold private files (the callers word it for their readers). */
export type FolderProblem =
  | { kind: 'link' }
  | { kind: 'not-folder' }
  | { kind: 'other-owner'; owner: number; self: number }
  | { kind: 'open-to-others'; mode: string };

/**
 * What is wrong with a folder that is to hold private files, or undefined when it is safe: it
 * must be a real folder (not a link) of the current user that nobody else can write into, else
 * another user could swap an entry between our checks and our writes.
 */
export function folderProblem(stats: Stats): FolderProblem | undefined {
  if (stats.isSymbolicLink()) return { kind: 'link' };
  if (!stats.isDirectory()) return { kind: 'not-folder' };
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid)
    return { kind: 'other-owner', owner: stats.uid, self: uid };
  if ((stats.mode & WRITABLE_BY_GROUP_OR_OTHERS) !== 0)
    return { kind: 'open-to-others', mode: (stats.mode & 0o777).toString(8).padStart(4, '0') };
  return undefined;
}
