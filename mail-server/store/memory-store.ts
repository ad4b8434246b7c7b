/**
 * A store in memory: for tests and for a server run in one process. It proves the MailStore
 * interface is not the seed-files layout by another name.
 */
import { formatStoredEmail, receivedTimeSortKey } from '../../protocol/email.js';
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
import { MAX_SEND_RECORDS, promised, type UserNames, userNames } from './mail-store.js';

interface Kept extends MailboxEntry {
  text: string;
}

/** Oldest first; a stable sort keeps emails of the same time in the order they came. */
const byReceiveTime = (a: Kept, b: Kept): number => {
  const [keyA, keyB] = [receivedTimeSortKey(a.receivedAt), receivedTimeSortKey(b.receivedAt)];
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
};

export class MemoryStore implements MailStore {
  readonly #inboxes = new Map<string, Kept[]>();
  readonly #watchers = new Map<string, Set<() => void>>();
  /** Each sender's send ids, oldest first (a Map keeps the order things were set in). */
  readonly #sends = new Map<string, Map<string, Omit<OnceDelivery, 'replayed'>>>();
  #nextId = 1;

  readonly #users: UserNames;

  constructor(users: Iterable<string> | UserNames) {
    this.#users = userNames(users);
  }

  #inbox(user: string): Kept[] {
    if (!this.#users.has(user)) throw new Error(`no inbox for "${user.slice(0, 64)}"`);
    let inbox = this.#inboxes.get(user);
    if (!inbox) {
      inbox = [];
      this.#inboxes.set(user, inbox);
    }
    return inbox;
  }

  deliver(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits = {},
  ): Promise<DeliveryOutcome[]> {
    return promised(() => this.#store(incoming, recipients, limits));
  }

  #store(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
  ): DeliveryOutcome[] {
    const { email, contentLength, receivedAt } = incoming;
    const text = formatStoredEmail(email, receivedAt, contentLength);
    const bytes = Buffer.byteLength(text);
    // All or none: every inbox is found before any is written.
    const inboxes = recipients.map((recipient) => this.#inbox(recipient));
    return recipients.map((recipient, i): DeliveryOutcome => {
      const inbox = inboxes[i] ?? [];
      const used = inbox.reduce((sum, kept) => sum + Buffer.byteLength(kept.text), 0);
      if (limits.maxInboxBytes !== undefined && used + bytes > limits.maxInboxBytes)
        return { recipient, status: 'overQuota' };
      const id = `m${this.#nextId++}`;
      inbox.push({ id, from: email.from, receivedAt, title: email.title, text });
      inbox.sort(byReceiveTime);
      this.#changed(recipient);
      return { recipient, status: 'delivered', id };
    });
  }

  /** Synchronous, so that two calls with one key can never both store. */
  deliverOnce(
    incoming: IncomingEmail,
    recipients: readonly string[],
    limits: DeliveryLimits,
    key: SendKey,
  ): Promise<OnceDelivery> {
    return promised(() => {
      const book = this.#sends.get(key.sender) ?? new Map<string, Omit<OnceDelivery, 'replayed'>>();
      this.#sends.set(key.sender, book);
      const first = book.get(key.sendId);
      if (first) return { ...first, replayed: true };
      const record = {
        outcomes: this.#store(incoming, recipients, limits),
        named: [...key.named],
      };
      book.set(key.sendId, record);
      for (const old of book.keys()) {
        if (book.size <= MAX_SEND_RECORDS) break;
        book.delete(old);
      }
      return { ...record, replayed: false };
    });
  }

  list(user: string): Promise<MailboxEntry[]> {
    return promised(() =>
      this.#inbox(user).map(({ id, from, receivedAt, title }) => ({ id, from, receivedAt, title })),
    );
  }

  read(user: string, ref: EmailRef): Promise<string | undefined> {
    return promised(() => {
      const inbox = this.#inbox(user);
      return ('id' in ref ? inbox.find((entry) => entry.id === ref.id) : inbox[ref.index - 1])
        ?.text;
    });
  }

  remove(user: string, id: string): Promise<boolean> {
    return promised(() => {
      const inbox = this.#inbox(user);
      const at = inbox.findIndex((entry) => entry.id === id);
      if (at < 0) return false;
      inbox.splice(at, 1);
      this.#changed(user);
      return true;
    });
  }

  watch(user: string, listener: () => void): () => void {
    this.#inbox(user);
    const listeners = this.#watchers.get(user) ?? new Set();
    this.#watchers.set(user, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  #changed(user: string): void {
    for (const listener of this.#watchers.get(user) ?? []) queueMicrotask(listener);
  }

  recover(): Promise<string[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
