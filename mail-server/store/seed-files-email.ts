/**
 * The seed's inbox folders (not Maildir: the seed's names, no tmp/new/cur): one file per email, written whole or not at all,
 * never overwritten, never read through a symbolic link.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
} from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { removeFileDurably, writeFileUnderFreeName } from '../../common/safe-files.js';
import { linkNewFileUnderFreeName } from '../../common/safe-files-async.js';
import { formatReceivedTime } from '../../protocol/email.js';
import type { InboxRow } from '../../protocol/inbox.js';

/** An email file in an inbox, with what the listing needs from its header, its id and size. */
export interface InboxEntry extends Omit<InboxRow, 'index'> {
  file: string;
  id: string;
  /** The file's size, which the inbox quota counts. */
  bytes: number;
}

/**
 * An email's id: a digest of its file name and its receive time. A name can be used again (a
 * later email of the same sender and title, once the first is deleted), the pair cannot, so
 * an id never names another email than the one it was listed for.
 */
export const emailId = (file: string, receivedAt: string): string =>
  createHash('sha256').update(`${file}\0${receivedAt}`).digest('base64url').slice(0, 22);

/** An entry with its id. */
export const inboxEntry = (
  file: string,
  from: string,
  receivedAt: string,
  title: string,
  bytes: number,
): InboxEntry => ({ file, from, receivedAt, title, id: emailId(file, receivedAt), bytes });

/** Opening for reading never follows a symbolic link planted in an inbox. */
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

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

/**
 * Writes an email into an inbox folder, whole or not at all, the way Maildir delivers (see
 * common/safe-files.ts): never replacing an email already there, a later one of the same name
 * gets " (2)", " (3)"... Returns the final file name.
 */
export function writeEmailFile(folder: string, stem: string, text: string): string {
  return writeFileUnderFreeName(
    folder,
    (copy) => (copy === 1 ? `${stem}.txt` : `${stem} (${copy}).txt`),
    text,
    0o600,
  );
}

/**
 * writeEmailFile off the event loop, its temporary file in `tempFolder` (so that the inbox
 * changes only by the link), the inbox not yet fsynced: the caller awaits FolderSyncs.sync
 * (common/safe-files-async.ts) before the email counts as stored.
 */
export function linkEmailFile(
  folder: string,
  stem: string,
  text: string,
  tempFolder: string,
  linked?: (file: string) => void,
): Promise<string> {
  return linkNewFileUnderFreeName(
    folder,
    (copy) => (copy === 1 ? `${stem}.txt` : `${stem} (${copy}).txt`),
    text,
    0o600,
    tempFolder,
    linked,
  );
}

const HEADER_CHUNK = 4096;
/** A listing never reads more of one file than this: a header longer than it is not one. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Reads just enough of an open file to hold its first `lines` lines (or the whole file, or
 * MAX_HEAD_BYTES of it).
 */
function readHead(fd: number, lines: number): string {
  let buffer = Buffer.allocUnsafe(HEADER_CHUNK);
  let filled = 0;
  for (;;) {
    const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
    filled += read;
    let newlines = 0;
    for (let i = 0; i < filled && newlines < lines; i++) if (buffer[i] === 0x0a) newlines++;
    if (read === 0 || newlines >= lines || filled >= MAX_HEAD_BYTES)
      return buffer.toString('utf8', 0, filled);
    if (filled === buffer.length) {
      const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_HEAD_BYTES));
      buffer.copy(larger, 0, 0, filled);
      buffer = larger;
    }
  }
}

function headerValue(lines: readonly string[], labels: readonly string[]): string | undefined {
  for (const line of lines) {
    for (const label of labels) if (line.startsWith(label)) return line.slice(label.length);
  }
  return undefined;
}

/**
 * Opens an email file for reading, or undefined when the name is not a regular file (a
 * symbolic link, a folder) or is gone.
 */
function openEmailFile(folder: string, file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(join(folder, file), READ_NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'EISDIR') return undefined;
    throw error;
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

/**
 * The listing fields of one email file, from its first lines; a file not in the format still
 * gets a row. Undefined when the name is not a regular file.
 */
export function readInboxEntry(folder: string, file: string): InboxEntry | undefined {
  const fd = openEmailFile(folder, file);
  if (fd === undefined) return undefined;
  let head: string;
  let modified: number;
  let bytes: number;
  try {
    head = readHead(fd, 4);
    ({ mtimeMs: modified, size: bytes } = fstatSync(fd));
  } finally {
    closeSync(fd);
  }
  const lines = head.split('\n').slice(0, 4);
  const from = headerValue(lines, ['From: ']);
  const receivedAt = headerValue(lines, ['Time and Date: ', 'Time and Date Received: '])?.trim();
  const title = headerValue(lines, ['Title: ']);
  if (from !== undefined && receivedAt !== undefined && title !== undefined) {
    return inboxEntry(file, from, receivedAt, title, bytes);
  }
  const underscore = file.indexOf('_');
  return inboxEntry(
    file,
    from ?? (underscore > 0 ? file.slice(0, underscore) : '?'),
    receivedAt ?? formatReceivedTime(Math.floor(modified * 1000)),
    title ?? file.replace(/\.txt$/, ''),
    bytes,
  );
}

// A constant, not a literal in the function (faster without V8's compilers).
const SEPARATOR_OR_NUL = /[/\\\0]/;

/** An email's file name: `<something>.txt`, no separator, not hidden (temporary files are). */
export function isEmailFileName(name: string): boolean {
  return name.endsWith('.txt') && !name.startsWith('.') && !SEPARATOR_OR_NUL.test(name);
}

/** An email file's text; undefined when there is no regular file of that name. */
export function readEmailFile(folder: string, file: string): string | undefined {
  if (!isEmailFileName(file)) return undefined;
  const fd = openEmailFile(folder, file);
  if (fd === undefined) return undefined;
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Removes an email file durably; false when there is none of that name. */
export function removeEmailFile(folder: string, file: string): boolean {
  if (!isEmailFileName(file)) return false;
  try {
    if (!lstatSync(join(folder, file)).isFile()) return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return removeFileDurably(folder, file);
}
