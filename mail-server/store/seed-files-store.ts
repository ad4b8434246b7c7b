/**
 * The seed's layout (B.4, F.3): one folder per user in the server's home, one
 * `<sender>_<title>.txt` file per email (seed-files-email.ts), and beside them an index of each
 * inbox so that a listing opens no email (seed-files-index.ts). An email's id is emailId.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatStoredEmail } from '../../protocol/email.js';
import { ServerError } from '../errors.js';
import {
  emailFileStem,
  inboxEntry,
  linkEmailFile,
  readEmailFile,
  removeEmailFile,
  type InboxEntry,
} from './seed-files-email.js';
import { FolderSyncs, removeTempFilesOf } from '../../common/safe-files-async.js';
import { removeTempFiles } from '../../common/safe-files.js';
import { MappedArray } from '../../common/shared-prefix.js';
import { watchFolder } from './folder-watch.js';
import { InboxIndex } from './seed-files-index.js';
import { InboxUsage } from './seed-files-usage.js';
import type {
  DeliveryLimits,
  DeliveryOutcome,
  EmailRef,
  IncomingEmail,
  MailboxEntry,
  MailStore,
  OnceDelivery,
  SendKey,
} from './mail-store.js';
import { promised, type UserNames, userNames } from './mail-store.js';
import { SendBook, type SendRecord } from './seed-files-sends.js';

export { emailId } from './seed-files-email.js';

const folderError = (folder: string, problem: string): ServerError =>
  new ServerError('INBOX_FOLDER', `${folder}: ${problem}`);

/** The home's folder of inbox indexes (seed-files-index.ts); a user name never starts with a dot. */
const INDEX_FOLDER = '.index';
/** The home's folder of send ids, a folder per sender (seed-files-sends.ts). */
const SENDS_FOLDER = '.sends';
/**
 * The home's folder of emails being written (as Maildir's tmp/): linked into the inbox once
 * whole and fsynced, so that an inbox folder changes only when an email arrives or goes.
 */
const INCOMING_FOLDER = '.incoming';
/**
 * How long a delivery waits for another process storing the same send id (its client tried
 * again while the first try was still being stored): a delivery takes milliseconds.
 */
const CLAIM_WAIT_MS = 10_000;
const CLAIM_POLL_MS = 20;
const NOT_STORED = 'the server stopped before storing it';
const STILL_STORING = 'an earlier try of this email is still being stored; try again';

/** Creates a folder when missing (an inbox, the indexes); refuses anything at its place that is not a real folder. */
function ensurePrivateFolder(folder: string): void {
  try {
    mkdirSync(folder, { mode: 0o700 });
    return;
  } catch (error) {
    // Already there, or made at this moment by the other server of the home (npm start
    // starts both at once): check what stands there.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stats = lstatSync(folder);
  if (stats.isSymbolicLink()) throw folderError(folder, 'is a symbolic link, not a folder');
  if (!stats.isDirectory()) throw folderError(folder, 'exists but is not a folder');
}

interface Listing {
  entries: readonly InboxEntry[];
  listing: readonly MailboxEntry[];
}

export class SeedFilesStore implements MailStore {
  readonly #home: string;
  readonly #users: UserNames;
  /** The users whose folder was made or checked in this process. */
  readonly #made = new Set<string>();
  readonly #indexes = new Map<string, InboxIndex>();
  /** The inboxes this process has listed or read: their quota is counted by their index. */
  readonly #listed = new Set<string>();
  /** The quota count of the inboxes this process only delivers into. */
  readonly #usages = new Map<string, InboxUsage>();
  /** Each inbox's listing entries, made from its index rows. */
  readonly #listings = new Map<string, MappedArray<InboxEntry, MailboxEntry>>();
  /** The claims (sender NUL send id) this process is storing now, its deliveries overlapping. */
  readonly #storing = new Set<string>();
  /** The inbox folders' fsyncs, shared by the deliveries waiting at the same time. */
  readonly #folderSyncs = new FolderSyncs();

  /**
   * The inboxes of `users` in `home`, created when missing. Throws an INBOX_FOLDER ServerError:
   * for any inbox when `checkEveryInbox` (a server's start, which must fail on a broken home),
   * else only at that inbox's first use (a session process, which must start and serve the
   * other users when one folder breaks while the server runs).
   */
  constructor(
    home: string,
    users: Iterable<string> | UserNames,
    { checkEveryInbox = true }: { checkEveryInbox?: boolean } = {},
  ) {
    this.#home = home;
    this.#users = userNames(users);
    for (const user of this.#users) {
      if (checkEveryInbox) this.#folder(user);
      // Checked by the server at its start: a folder broken since fails where it is used.
      else this.#made.add(user);
    }
    ensurePrivateFolder(join(home, INDEX_FOLDER));
    ensurePrivateFolder(join(home, SENDS_FOLDER));
    ensurePrivateFolder(join(home, INCOMING_FOLDER));
    this.#sends = new SendBook((sender) => {
      const folder = this.#sendsFolder(sender);
      ensurePrivateFolder(folder);
      return folder;
    });
  }

  readonly #sends: SendBook;

  #sendsFolder(sender: string): string {
    this.#folder(sender);
    return join(this.#home, SENDS_FOLDER, sender);
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
    const folder = join(this.#home, user);
    // A user added by a reload gets their folder at first use, checked as the others are.
    if (!this.#made.has(user)) {
      ensurePrivateFolder(folder);
      this.#made.add(user);
    }
    return folder;
  }

  deliver(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits = {},
  ): Promise<DeliveryOutcome[]> {
    return this.#store(incoming, recipients, limits);
  }

  /**
   * Each copy: the file written and fsynced off the event loop, linked, its journal line, then
   * an fsync of the inbox folder (shared with the other deliveries into that inbox waiting at
   * the same time) before its outcome says delivered.
   */
  async #store(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
  ): Promise<DeliveryOutcome[]> {
    const { email, contentLength, receivedAt } = incoming;
    const text = formatStoredEmail(email, receivedAt, contentLength);
    const bytes = Buffer.byteLength(text);
    const stem = emailFileStem(email.from, email.title);
    const { maxInboxBytes } = limits;
    const copy = async (recipient: string): Promise<DeliveryOutcome> => {
      try {
        // A recipient's folder broken since the server started fails that copy alone.
        const folder = this.#folder(recipient);
        const index = this.#index(recipient);
        if (maxInboxBytes !== undefined && this.#storedBytes(recipient) + bytes > maxInboxBytes)
          return { recipient, status: 'overQuota' };
        // The journal line in the same turn as the link: a listing in another process that sees
        // the new file finds its line too, instead of reading the whole folder to explain it.
        let entry: InboxEntry | undefined;
        await linkEmailFile(folder, stem, text, join(this.#home, INCOMING_FOLDER), (file) => {
          entry = inboxEntry(file, email.from, receivedAt, email.title, bytes);
          index.added(entry);
        });
        await this.#folderSyncs.sync(folder);
        if (!entry) throw new Error('the email was stored without its index line');
        return { recipient, status: 'delivered', id: entry.id };
      } catch (error) {
        return { recipient, status: 'failed', reason: (error as Error).message };
      }
    };
    return Promise.all(recipients.map((recipient) => copy(recipient)));
  }

  /**
   * What an inbox's quota counts, from its index files: no email file is opened or stat'ed. An
   * inbox this process lists has its index up to date (and checked against the folder's names);
   * another is counted from the index files' sizes alone (seed-files-usage.ts), and by its whole
   * index only when those cannot tell.
   */
  #storedBytes(user: string): number {
    if (this.#listed.has(user)) return this.#index(user).storedBytes();
    let usage = this.#usages.get(user);
    if (!usage) {
      usage = new InboxUsage(join(this.#home, INDEX_FOLDER), user);
      this.#usages.set(user, usage);
    }
    return usage.storedBytes() ?? this.#index(user).storedBytes();
  }

  /**
   * A claim, then the copies, then the record (seed-files-sends.ts); a send id claimed by a
   * process still storing it is waited for, one abandoned is completed from the inboxes.
   */
  async deliverOnce(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
    key: SendKey,
  ): Promise<OnceDelivery> {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      const done = await this.#tryOnce(incoming, recipients, limits, key);
      if (done) return done;
      if (Date.now() > deadline)
        return {
          outcomes: recipients.map((recipient) => ({
            recipient,
            status: 'failed',
            reason: STILL_STORING,
          })),
          named: [...key.named],
          replayed: true,
        };
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  }

  /**
   * One try; undefined while another process stores this send id (or, after a few turns,
   * while the record cannot be read: it is then left alone, never overwritten).
   */
  async #tryOnce(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
    key: SendKey,
    turns = 3,
  ): Promise<OnceDelivery | undefined> {
    const { sender, sendId, named } = key;
    if (turns === 0) return undefined;
    const { email, receivedAt } = incoming;
    const claim = {
      pid: process.pid,
      from: email.from,
      title: email.title,
      receivedAt,
      recipients: [...recipients],
      named: [...named],
    };
    const claimKey = `${sender}\0${sendId}`;
    if (this.#sends.claim(sender, sendId, claim)) {
      this.#storing.add(claimKey);
      const outcomes = await this.#store(incoming, recipients, limits).finally(() =>
        this.#storing.delete(claimKey),
      );
      try {
        if (outcomes.every((outcome) => outcome.status === 'failed'))
          this.#sends.release(sender, sendId);
        else this.#sends.complete(sender, sendId, { ...claim, outcomes });
        this.#sends.prune(sender);
      } catch {
        // The copies are stored and the claim is durable (a full disk, say): the report goes,
        // and a retry completes the claim from the inboxes, as after a crash.
      }
      return { outcomes, named: claim.named, replayed: false };
    }
    const record = this.#sends.read(sender, sendId);
    // Released (or pruned) since the claim failed: try again at once.
    if (!record) return this.#tryOnce(incoming, recipients, limits, key, turns - 1);
    if (record.outcomes) return { outcomes: record.outcomes, named: record.named, replayed: true };
    // A claim of this process is abandoned only when no delivery of it is still storing it.
    if (!SendBook.abandoned(record) || this.#storing.has(claimKey)) return undefined;
    const outcomes = this.#copiesOf(record);
    if (outcomes.every((outcome) => outcome.status === 'failed')) {
      // Stored nowhere: the claim goes and this try stores the email.
      this.#sends.release(sender, sendId);
      return this.#tryOnce(incoming, recipients, limits, key, turns - 1);
    }
    this.#sends.complete(sender, sendId, { ...record, outcomes });
    return { outcomes, named: record.named, replayed: true };
  }

  /** What an abandoned claim stored: each recipient's copy, found by sender, title and receive time. */
  #copiesOf(record: SendRecord): DeliveryOutcome[] {
    return record.recipients.map((recipient): DeliveryOutcome => {
      const copy = this.#index(recipient)
        .entries()
        .find(
          (entry) =>
            entry.from === record.from &&
            entry.receivedAt === record.receivedAt &&
            entry.title === record.title,
        );
      return copy
        ? { recipient, status: 'delivered', id: copy.id }
        : { recipient, status: 'failed', reason: NOT_STORED };
    });
  }

  list(user: string): Promise<MailboxEntry[]> {
    // The store's own array, given to every caller as before: MailStore's callers do not change it.
    return promised(() => this.#listing(user).listing as MailboxEntry[]);
  }

  /** The inbox's entries and its listing: the same arrays while the inbox is unchanged. */
  #listing(user: string): Listing {
    this.#listed.add(user);
    const entries = this.#index(user).entries();
    let listings = this.#listings.get(user);
    if (!listings) {
      listings = new MappedArray(({ id, from, receivedAt, title }): MailboxEntry => ({
        id,
        from,
        receivedAt,
        title,
      }));
      this.#listings.set(user, listings);
    }
    // Only the entries from the index's first change on are made again: the others stay the same
    // objects, so that a session listing again redoes only its new rows (mail-server/session.ts).
    return { entries, listing: listings.update(entries) };
  }

  #file(user: string, ref: EmailRef): string | undefined {
    this.#listed.add(user);
    const entries = this.#index(user).entries();
    if (!('id' in ref)) return entries[ref.index - 1]?.file;
    return entriesById(entries).get(ref.id)?.file;
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

  /**
   * A dead session process's temporary files (deadProcess), read off the event loop one folder
   * at a time: the server keeps serving while it looks through every inbox. At start (no
   * process named), those of every process that no longer runs.
   */
  async recover(deadProcess?: number): Promise<string[]> {
    const folders = [
      ...[...this.#users].map((user) => this.#folder(user)),
      ...[...this.#users].map((user) => this.#sendsFolder(user)),
      join(this.#home, INDEX_FOLDER),
      join(this.#home, INCOMING_FOLDER),
    ];
    const removed: string[] = [];
    for (const folder of folders) {
      const names =
        deadProcess === undefined
          ? removeTempFiles(folder)
          : await removeTempFilesOf(folder, deadProcess);
      removed.push(...names.map((name) => join(folder, name)));
    }
    return removed;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Each inbox's entries by id, made once per version of its entries (the index hands out the same
 * array while the inbox is unchanged): reading by id is then a lookup, where a search of the
 * whole listing per read made reading every email of a large inbox quadratic.
 */
const byIdOfEntries = new WeakMap<readonly InboxEntry[], Map<string, InboxEntry>>();

function entriesById(entries: readonly InboxEntry[]): Map<string, InboxEntry> {
  let byId = byIdOfEntries.get(entries);
  if (!byId) {
    byId = new Map(entries.map((entry) => [entry.id, entry]));
    byIdOfEntries.set(entries, byId);
  }
  return byId;
}
