/**
 * The seed's layout (B.4, F.3): one folder per user in the server's home, one
 * `<sender>_<title>.txt` file per email. An email's id is its file name.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatStoredEmail } from '../../protocol/email.js';
import { ServerError } from '../errors.js';
import {
  emailFileStem,
  listInbox,
  readEmailFile,
  removeEmailFile,
  removeTempFiles,
  writeEmailFile,
} from './maildir-files.js';
import type {
  DeliveryOutcome,
  EmailRef,
  IncomingEmail,
  MailboxEntry,
  MailStore,
} from './mail-store.js';
import { promised } from './mail-store.js';

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

  deliver(incoming: IncomingEmail, recipients: readonly string[]): Promise<DeliveryOutcome[]> {
    return promised(() => {
      const { email, contentLength, receivedAt } = incoming;
      const text = formatStoredEmail(email, receivedAt, contentLength);
      const stem = emailFileStem(email.from, email.title);
      const folders = recipients.map((recipient) => this.#folder(recipient));
      return recipients.map((recipient, i): DeliveryOutcome => {
        try {
          return {
            recipient,
            status: 'delivered',
            id: writeEmailFile(folders[i] ?? '', stem, text),
          };
        } catch (error) {
          return { recipient, status: 'failed', reason: (error as Error).message };
        }
      });
    });
  }

  list(user: string): Promise<MailboxEntry[]> {
    return promised(() => this.#entries(user));
  }

  #entries(user: string): MailboxEntry[] {
    return listInbox(this.#folder(user)).map(({ file, from, receivedAt, title }) => ({
      id: file,
      from,
      receivedAt,
      title,
    }));
  }

  read(user: string, ref: EmailRef): Promise<string | undefined> {
    return promised(() => {
      const folder = this.#folder(user);
      const file = 'id' in ref ? ref.id : this.#entries(user)[ref.index - 1]?.id;
      return file === undefined ? undefined : readEmailFile(folder, file);
    });
  }

  remove(user: string, id: string): Promise<boolean> {
    return promised(() => removeEmailFile(this.#folder(user), id));
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
