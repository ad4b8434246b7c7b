/**
 * The seed's layout (B.4, F.3): one folder per user in the server's home, one
 * `<sender>_<title>.txt` file per email.
 *
 * An email's id is a digest of its file name and its receive time: a name can be used again
 * (a later email of the same sender and title, once the first is deleted), the pair cannot,
 * so an id never names another email than the one it was listed for.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatStoredEmail } from '../../protocol/email.js';
import { ServerError } from '../errors.js';
import {
  emailFileStem,
  folderEmailBytes,
  listInbox,
  readEmailFile,
  removeEmailFile,
  removeTempFiles,
  writeEmailFile,
} from './maildir-files.js';
import { watchFolder } from './folder-watch.js';
import type {
  DeliveryLimits,
  DeliveryOutcome,
  EmailRef,
  IncomingEmail,
  MailboxEntry,
  MailStore,
} from './mail-store.js';
import { promised } from './mail-store.js';

export const emailId = (file: string, receivedAt: string): string =>
  createHash('sha256').update(`${file}\0${receivedAt}`).digest('base64url').slice(0, 22);

const folderError = (folder: string, problem: string): ServerError =>
  new ServerError('INBOX_FOLDER', `${folder}: ${problem}`);

/** Creates a user's inbox folder when missing; refuses anything at its place that is not a real folder. */
function ensureInboxFolder(folder: string): void {
  let stats;
  try {
    stats = lstatSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(folder, { mode: 0o700 });
    return;
  }
  if (stats.isSymbolicLink()) throw folderError(folder, 'is a symbolic link, not a folder');
  if (!stats.isDirectory()) throw folderError(folder, 'exists but is not a folder');
}

export class MaildirStore implements MailStore {
  readonly #home: string;
  readonly #users: ReadonlySet<string>;

  /** The inboxes of `users` in `home`, created when missing. Throws an INBOX_FOLDER ServerError. */
  constructor(home: string, users: Iterable<string>) {
    this.#home = home;
    this.#users = new Set(users);
    for (const user of this.#users) ensureInboxFolder(this.#folder(user));
  }

  #folder(user: string): string {
    // Only known users have folders: a name from the network never becomes a path by itself.
    if (!this.#users.has(user)) throw new Error(`no inbox for "${user.slice(0, 64)}"`);
    return join(this.#home, user);
  }

  deliver(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits = {},
  ): Promise<DeliveryOutcome[]> {
    return promised(() => {
      const { email, contentLength, receivedAt } = incoming;
      const text = formatStoredEmail(email, receivedAt, contentLength);
      const bytes = Buffer.byteLength(text);
      const stem = emailFileStem(email.from, email.title);
      const folders = recipients.map((recipient) => this.#folder(recipient));
      return recipients.map((recipient, i): DeliveryOutcome => {
        const folder = folders[i] ?? '';
        const { maxInboxBytes } = limits;
        try {
          if (maxInboxBytes !== undefined && folderEmailBytes(folder) + bytes > maxInboxBytes)
            return { recipient, status: 'overQuota' };
          const file = writeEmailFile(folder, stem, text);
          return { recipient, status: 'delivered', id: emailId(file, receivedAt) };
        } catch (error) {
          return { recipient, status: 'failed', reason: (error as Error).message };
        }
      });
    });
  }

  list(user: string): Promise<MailboxEntry[]> {
    return promised(() =>
      this.#entries(user).map(({ id, from, receivedAt, title }) => ({
        id,
        from,
        receivedAt,
        title,
      })),
    );
  }

  #entries(user: string): (MailboxEntry & { file: string })[] {
    return listInbox(this.#folder(user)).map((entry) => ({
      ...entry,
      id: emailId(entry.file, entry.receivedAt),
    }));
  }

  #file(user: string, ref: EmailRef): string | undefined {
    const entries = this.#entries(user);
    return ('id' in ref ? entries.find((entry) => entry.id === ref.id) : entries[ref.index - 1])
      ?.file;
  }

  read(user: string, ref: EmailRef): Promise<string | undefined> {
    return promised(() => {
      const file = this.#file(user, ref);
      return file === undefined ? undefined : readEmailFile(this.#folder(user), file);
    });
  }

  remove(user: string, id: string): Promise<boolean> {
    return promised(() => {
      const file = this.#file(user, { id });
      return file !== undefined && removeEmailFile(this.#folder(user), file);
    });
  }

  watch(user: string, listener: () => void): () => void {
    return watchFolder(this.#folder(user), listener);
  }

  recover(deadProcess?: number): Promise<string[]> {
    return promised(() =>
      [...this.#users].flatMap((user) => {
        const folder = this.#folder(user);
        return removeTempFiles(folder, deadProcess).map((name) => join(folder, name));
      }),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
