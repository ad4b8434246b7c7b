/**
 * The policy of common/safe-files.ts, off the event loop: for a process that serves several
 * clients at once, a synchronous fsync stops all of them for as long as the disk takes. Here the
 * temporary file is written and fsynced by libuv's threads, and a folder's fsync is shared by
 * every write linked into that folder before it started (group commit, as a database's log
 * flush is shared by the transactions that committed meanwhile), never skipped: a caller is
 * told its file is safe only after an fsync of the folder that began after its link.
 */
import { constants, linkSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isTempFileName, tempFilePrefix } from './safe-files.js';

const CREATE_NEW_NO_FOLLOW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Writes `data` into a new temporary file of `folder`, fsynced; returns its path. */
async function writeTemporary(folder: string, data: Buffer, mode: number): Promise<string> {
  const temp = join(folder, `${tempFilePrefix(process.pid)}${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, CREATE_NEW_NO_FOLLOW, mode);
  try {
    // The umask may only take bits away; this makes the mode exact.
    await handle.chmod(mode);
    let written = 0;
    while (written < data.length)
      written += (await handle.write(data, written, data.length - written)).bytesWritten;
    await handle.sync();
    return temp;
  } catch (error) {
    await unlink(temp);
    throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Writes a new file, fsynced, under the first of `nameFor(1)`, `nameFor(2)`, ... that is free (a
 * link never replaces what is there). Returns the name it took. The folder is NOT fsynced yet:
 * the caller awaits `FolderSyncs.sync(folder)` before telling anyone the file is safe, and may
 * do what must follow the link at once (an index line) in between: `linked`, called in the
 * same turn of the event loop as the link, so that no other work of this process comes between
 * them. The temporary file goes in `tempFolder` (the same file system; by default `folder`),
 * so that the folder itself changes only by the link.
 */
export async function linkNewFileUnderFreeName(
  folder: string,
  nameFor: (attempt: number) => string,
  data: Buffer | string,
  mode: number,
  tempFolder = folder,
  linked?: (name: string) => void,
): Promise<string> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = await writeTemporary(tempFolder, bytes, mode);
  let name: string | undefined;
  try {
    name = linkUnderFreeName(temp, folder, nameFor, tempFolder !== folder);
    if (name !== undefined) linked?.(name);
  } finally {
    await unlink(temp);
  }
  // The folder is another file system (a mount): the temporary file goes beside it.
  return name ?? linkNewFileUnderFreeName(folder, nameFor, bytes, mode, folder, linked);
}

/**
 * Links `temp` under the first free name; undefined when the folder is another file system.
 * Synchronous: a link is one short metadata call (the data's fsync is done, off the loop), and
 * whoever lists the folder from another process sees the file and, at once after it, what the
 * caller writes about it; an await between them left that window open for as long as this
 * process's other clients kept the loop (and every listing inside it read the whole folder).
 */
function linkUnderFreeName(
  temp: string,
  folder: string,
  nameFor: (attempt: number) => string,
  mayCross: boolean,
): string | undefined {
  for (let attempt = 1; ; attempt++) {
    const name = nameFor(attempt);
    try {
      linkSync(temp, join(folder, name));
      return name;
    } catch (error) {
      if (mayCross && errorCode(error) === 'EXDEV') return undefined;
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
}

async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface FolderState {
  /** The fsync under way: it may have begun before a new caller's link, so it is not theirs. */
  running: Promise<void> | undefined;
  /** The next fsync, shared by everyone who asks while one runs; it begins when that one ends. */
  next: Promise<void> | undefined;
}

/** Folder fsyncs of this process, shared by the callers that wait at the same time. */
export class FolderSyncs {
  readonly #folders = new Map<string, FolderState>();

  /** Resolves after an fsync of `folder` that began after this call; rejects if it failed. */
  sync(folder: string): Promise<void> {
    let state = this.#folders.get(folder);
    if (!state) {
      state = { running: undefined, next: undefined };
      this.#folders.set(folder, state);
    }
    const { running } = state;
    if (!running) return this.#start(folder, state);
    const current = state;
    current.next ??= running.then(
      () => this.#start(folder, current),
      () => this.#start(folder, current),
    );
    return current.next;
  }

  #start(folder: string, state: FolderState): Promise<void> {
    state.next = undefined;
    const running = fsyncFolder(folder).finally(() => {
      if (state.running === running) state.running = undefined;
      if (!state.running && !state.next) this.#folders.delete(folder);
    });
    state.running = running;
    return running;
  }
}

/**
 * removeTempFiles (common/safe-files.ts) for one dead process's files, reading the folders off
 * the event loop: a server replacing a dead session process keeps serving meanwhile.
 */
export async function removeTempFilesOf(folder: string, owner: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const prefix = tempFilePrefix(owner);
  const removed: string[] = [];
  for (const name of names) {
    if (!isTempFileName(name) || !name.startsWith(prefix)) continue;
    try {
      await unlink(join(folder, name));
      removed.push(name);
    } catch {
      // Already gone.
    }
  }
  return removed;
}
