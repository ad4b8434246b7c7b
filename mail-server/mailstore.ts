import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { formatReceivedTime, receivedTimeSortKey } from '../protocol/email.js';
import type { InboxRow } from '../protocol/inbox.js';

/** An email file in an inbox, with what the listing needs from its header. */
export interface InboxEntry extends Omit<InboxRow, 'index'> {
  file: string;
}

const TEMP_PREFIX = '.tmp.';
const MAX_NAME_BYTES = 255;
const SUFFIX_ROOM = 16; // " (12345).txt" and a little spare

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[/\\\u0000-\u001f\u007f-\u009f]/g;

/** Keeps at most `maxBytes` of UTF-8, never cutting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * `<sender>_<title>` (F.3) made safe as one file name: no separator or control character,
 * and short enough for the file system. The title inside the file stays as sent.
 */
export function emailFileStem(sender: string, title: string): string {
  const safeTitle = title.replace(UNSAFE_IN_NAME, '_');
  const room = MAX_NAME_BYTES - SUFFIX_ROOM - Buffer.byteLength(sender) - 1;
  return `${sender}_${truncateUtf8(safeTitle, room)}`;
}

/** Names a temporary file so that the parent can find what a dead child left behind. */
export function tempFilePrefix(pid: number): string {
  return `${TEMP_PREFIX}${pid}.`;
}

function fsyncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes an email into an inbox folder, whole or not at all, the way Maildir delivers:
 * a temporary file in the same folder, fsync, then a hard link to the final name (which,
 * unlike rename, never replaces an email already there), then fsync of the folder.
 * Returns the final file name.
 */
export function deliver(folder: string, stem: string, text: string): string {
  const temp = join(folder, `${tempFilePrefix(process.pid)}${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    const data = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    for (let copy = 1; ; copy++) {
      const name = copy === 1 ? `${stem}.txt` : `${stem} (${copy}).txt`;
      try {
        linkSync(temp, join(folder, name));
        fsyncFolder(folder);
        return name;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(temp);
  }
}

/** Removes temporary files: all of them, or those of one (dead) process. */
export function removeTempFiles(folder: string, pid?: number): string[] {
  const prefix = pid === undefined ? TEMP_PREFIX : tempFilePrefix(pid);
  const removed: string[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.startsWith(prefix)) continue;
    try {
      unlinkSync(join(folder, name));
      removed.push(name);
    } catch {
      // Already gone.
    }
  }
  return removed;
}

const HEADER_CHUNK = 4096;

/** Reads just enough of a file to hold its first `lines` lines (or the whole file). */
function readHead(path: string, lines: number): string {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(HEADER_CHUNK);
    let filled = 0;
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
      filled += read;
      let newlines = 0;
      for (let i = 0; i < filled && newlines < lines; i++) if (buffer[i] === 0x0a) newlines++;
      if (read === 0 || newlines >= lines) return buffer.toString('utf8', 0, filled);
      if (filled === buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, filled);
        buffer = larger;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function headerValue(lines: readonly string[], labels: readonly string[]): string | undefined {
  for (const line of lines) {
    for (const label of labels) if (line.startsWith(label)) return line.slice(label.length);
  }
  return undefined;
}

/** The listing fields of one email file; a file not in the format still gets a row. */
function readEntry(folder: string, file: string): InboxEntry {
  const path = join(folder, file);
  const lines = readHead(path, 4).split('\n').slice(0, 4);
  const from = headerValue(lines, ['From: ']);
  const receivedAt = headerValue(lines, ['Time and Date: ', 'Time and Date Received: '])?.trim();
  const title = headerValue(lines, ['Title: ']);
  if (from !== undefined && receivedAt !== undefined && title !== undefined) {
    return { file, from, receivedAt, title };
  }
  const modified = statSync(path).mtimeMs;
  const underscore = file.indexOf('_');
  return {
    file,
    from: from ?? (underscore > 0 ? file.slice(0, underscore) : '?'),
    receivedAt: receivedAt ?? formatReceivedTime(Math.floor(modified * 1000)),
    title: title ?? file.replace(/\.txt$/, ''),
  };
}

/** The inbox (G.1): every email file, oldest first, by the receive time in its header. */
export function listInbox(folder: string): InboxEntry[] {
  const entries = readdirSync(folder)
    .filter((name) => name.endsWith('.txt') && !name.startsWith('.'))
    .map((name) => readEntry(folder, name));
  const keyed = entries.map((entry) => ({ entry, key: receivedTimeSortKey(entry.receivedAt) }));
  keyed.sort((a, b) =>
    a.key < b.key
      ? -1
      : a.key > b.key
        ? 1
        : a.entry.file < b.entry.file
          ? -1
          : a.entry.file > b.entry.file
            ? 1
            : 0,
  );
  return keyed.map(({ entry }) => entry);
}

export function readEmailFile(folder: string, file: string): string {
  return readFileSync(join(folder, file), 'utf8');
}
