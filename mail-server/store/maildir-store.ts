/**
 * The seed's layout (B.4, F.3): one folder per user in the server's home, one
 * `<sender>_<title>.txt` file per email (maildir-files.ts), and beside them an index of each
 * inbox so that a listing opens no email (maildir-index.ts). An email's id is emailId.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatStoredEmail } from '../../protocol/email.js';
import { ServerError } from '../errors.js';
import {
  emailFileStem,
  inboxEntry,
  readEmailFile,
  removeEmailFile,
  writeEmailFile,
  type InboxEntry,
} from './maildir-files.js';
import { removeTempFiles } from '../../common/safe-files.js';
import { watchFolder } from './folder-watch.js';
import { InboxIndex } from './maildir-index.js';
import type {
  DeliveryLimits,
  DeliveryOutcome,
  EmailRef,
  IncomingEmail,
  MailboxEntry,
  MailStore,
} from './mail-store.js';
import { promised } from './mail-store.js';

export { emailId } from './maildir-files.js';

const folderError = (folder: string, problem: string): ServerError =>
  new ServerError('INBOX_FOLDER', `${folder}: ${problem}`);

/** The home's folder of inbox indexes (maildir-index.ts); a user name never starts with a dot. */
const INDEX_FOLDER = '.index';

/** Creates a folder when missing (an inbox, the indexes); refuses anything at its place that is not a real folder. */
function ensurePrivateFolder(folder: string): void {
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

interface Listing {
  entries: readonly InboxEntry[];
  listing: MailboxEntry[];
}

export class MaildirStore implements MailStore {
  readonly #home: string;
  readonly #users: ReadonlySet<string>;
  readonly #indexes = new Map<string, InboxIndex>();
  readonly #listings = new Map<string, Listing>();
  /** Each index row's listing entry, made once. */
  readonly #listed = new WeakMap<InboxEntry, MailboxEntry>();

  /** The inboxes of `users` in `home`, created when missing. Throws an INBOX_FOLDER ServerError. */
  constructor(home: string, users: Iterable<string>) {
    this.#home = home;
    this.#users = new Set(users);
    for (const user of this.#users) ensurePrivateFolder(this.#folder(user));
    ensurePrivateFolder(join(home, INDEX_FOLDER));
  }

  #index(user: string): InboxIndex {
    let index = this.#indexes.get(user);
    if (!index) {
      index = new InboxIndex(this.#folder(user), join(this.#home, INDEX_FOLDER), user);
      this.#indexes.set(user, index);
    }
    return index;
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
          const index = this.#index(recipient);
          // The index's sizes, checked against the folder's names: no file is opened or stat'ed.
          if (maxInboxBytes !== undefined && index.storedBytes() + bytes > maxInboxBytes)
            return { recipient, status: 'overQuota' };
          const file = writeEmailFile(folder, stem, text);
          const entry = inboxEntry(file, email.from, receivedAt, email.title, bytes);
          index.added(entry);
          return { recipient, status: 'delivered', id: entry.id };
        } catch (error) {
          return { recipient, status: 'failed', reason: (error as Error).message };
        }
      });
    });
  }

  list(user: string): Promise<MailboxEntry[]> {
    return promised(() => this.#listing(user).listing);
  }

  /** The inbox's entries and its listing: the same arrays while the inbox is unchanged. */
  #listing(user: string): Listing {
    const entries = this.#index(user).entries();
    const cached = this.#listings.get(user);
    if (cached?.entries === entries) return cached;
    // The same entry object for an email as long as the index keeps its row, so that a session
    // listing again finds the rows it sent before (mail-server/session.ts).
    const listing = entries.map((entry) => {
      let listed = this.#listed.get(entry);
      if (!listed) {
        const { id, from, receivedAt, title } = entry;
        listed = { id, from, receivedAt, title };
        this.#listed.set(entry, listed);
      }
      return listed;
    });
    const fresh = { entries, listing };
    this.#listings.set(user, fresh);
    return fresh;
  }

  #file(user: string, ref: EmailRef): string | undefined {
    if (!('id' in ref)) return this.#index(user).entries()[ref.index - 1]?.file;
    const { entries, listing } = this.#listing(user);
    return entries[listing.findIndex((entry) => entry.id === ref.id)]?.file;
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
      if (file === undefined || !removeEmailFile(this.#folder(user), file)) return false;
      this.#index(user).removed(file);
      return true;
    });
  }

  watch(user: string, listener: () => void): () => void {
    return watchFolder(this.#folder(user), listener);
  }

  recover(deadProcess?: number): Promise<string[]> {
    const folders = [
      ...[...this.#users].map((user) => this.#folder(user)),
      join(this.#home, INDEX_FOLDER),
    ];
    return promised(() =>
      folders.flatMap((folder) =>
        removeTempFiles(folder, deadProcess).map((name) => join(folder, name)),
      ),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
