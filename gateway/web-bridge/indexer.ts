/**
 * The content search's indexer, in the session child (the process that holds the user's key):
 * it reads, in the background, each listed email it has not indexed, opens the sealed ones
 * with the user's key (sealed-mail.ts), and puts the words of their sender, recipients, title
 * and content in the index (search-index.ts), with the mark its opening found, which the list's
 * rows then show before the person opens anything (email-security.ts). The index is kept sealed
 * on this machine (search-index-file.ts), so the next session starts where this one stopped.
 *
 * The browser's requests come first: they share the one protocol session, one request at a
 * time, so the indexer reads in batches of BATCH inside `serialise` (NewMailWatch.around, which
 * ends a wait for new mail first), one exchange at a time with a turn of the event loop between
 * two, so that a browser's request waits for at most one exchange: one email, or on sessions
 * that read batches (version 7) up to READS_PER_EXCHANGE emails in one request and one answer.
 *
 * Newest first, as the list shows them. Indexing is an opening, and a sealed email's first
 * opening is what later copies are compared with (opened-emails.ts): so the indexer opens
 * without recording, and records its openings itself in the inbox's order, oldest first, once
 * every older email is read (or when the session ends): a copy stored after the original is
 * never taken for the original. Emails that leave the inbox leave the index; only the newest
 * MAX_EMAILS are indexed.
 */
import type { InboxRow } from '../../protocol/inbox.js';
import { isConnectionLost } from '../../protocol/errors.js';
import { batchable, type ReadResult } from '../../protocol/operations/view-email.js';
import type { MailClient } from '../protocol-client/mail-client.js';
import type { EmailPlace, OpenedEmails } from '../protocol-client/opened-emails.js';
import type { SealedMail, SenderStanding } from '../protocol-client/sealed-mail.js';
import type { EmailSecurity, Reply, SearchRequest } from '../messages.js';
import { keyOf, securityOf, type SecurityMemory } from './email-security.js';
import { MAX_EMAILS, SearchIndex, type EmailText, type StoredMark } from './search-index.js';
import type { SearchIndexFile } from './search-index-file.js';

/**
 * Emails read between two waits for new mail. Each batch ends the wait and takes it up again
 * (a request and an answer each way, and a watch of the inbox on the server): 100 rather than 20
 * took indexing 10,000 emails from 10.5 s to 8.4 s. New mail is then told at most one batch late
 * (about 0.1 s); the browser's requests still wait for one read at most.
 */
const BATCH = 100;
/**
 * Emails read in one exchange where the session reads batches (version 7): a browser's request
 * waits for at most one exchange, this many emails read and sent by the server.
 */
const READS_PER_EXCHANGE = 25;
/** The index is written at most this often while it is being filled, and when it is done. */
const SAVE_EVERY_MS = 60_000;
/** Progress (and the marks found) is told at most this often, and when done: each costs the page a pass over its rows. */
const PROGRESS_EVERY_MS = 1000;
/** Marks told with one progress event at most (the next listing carries the others). */
const MAX_MARKS_TOLD = MAX_EMAILS;
/** A search answers at most this many emails (the newest). */
export const MAX_RESULTS = MAX_EMAILS;

export interface IndexerDeps {
  client: MailClient;
  /** Opens without recording the opening (made without an OpenedEmails). */
  sealed: SealedMail;
  /** Where openings are recorded, in the inbox's order. */
  opened?: OpenedEmails;
  security: SecurityMemory;
  file: SearchIndexFile;
  /** Runs a batch of reads between the browser's requests (NewMailWatch.around). */
  serialise: <T>(work: () => Promise<T>) => Promise<T>;
  /** How far the index is, and the marks found since the last call. */
  progress: (indexed: number, total: number, marks: MarkFound[]) => Promise<void>;
  warn: (details: Record<string, unknown>, message: string) => void;
}

/** An email found by a search, as the browser names rows. */
export interface FoundEmail {
  index: number;
  id?: string;
}

/** What opening an email found, for its row in the browser. */
export interface MarkFound extends FoundEmail {
  security: EmailSecurity;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Indexer {
  readonly #deps: IndexerDeps;
  /** Empty until the file is read, just after the first listing was answered. */
  #index = new SearchIndex();
  #loaded = false;
  /** The inbox as last listed, by key. */
  #listed = new Map<string, InboxRow>();
  /** Rows to read, newest first. */
  #pending: InboxRow[] = [];
  /** Sealed emails opened and not recorded yet (deferred to keep the inbox's order). */
  #openings: { index: number; emailId: string; place: EmailPlace }[] = [];
  #running = false;
  #stopped = false;
  #dirty = false;
  #savedAt = Date.now();
  #toldAt = 0;
  #marks: MarkFound[] = [];
  /** What was last known of each signer (bounded by the senders of the inbox). */
  readonly #signers = new Map<string, SenderStanding>();

  constructor(deps: IndexerDeps) {
    this.#deps = deps;
  }

  #load(): SearchIndex {
    try {
      return this.#deps.file.load();
    } catch (error) {
      this.#deps.warn({ err: error }, 'the search index cannot be read; starting again');
      return new SearchIndex();
    }
  }

  /** A full listing of the inbox: what left it leaves the index, what is new is read. */
  listed(rows: readonly InboxRow[]): void {
    this.#listed = new Map(rows.map((row) => [keyOf(row), row]));
    if (this.#loaded) {
      this.#reconcile();
      return;
    }
    // Read after this listing's answer has gone (a promise's continuation runs before
    // setImmediate): 10,000 emails take a few hundred milliseconds, which the sign-in and the
    // first listing do not wait for; the marks it holds follow with the progress.
    this.#loaded = true;
    setImmediate(() => {
      if (this.#stopped) return;
      this.#index = this.#load();
      this.#reconcile();
    });
  }

  #reconcile(): void {
    const newest = [...this.#listed.values()].slice(-MAX_EMAILS);
    const wanted = new Set(newest.map(keyOf));
    for (const key of [...this.#index.keys()])
      if (!wanted.has(key) && this.#index.remove(key)) this.#dirty = true;
    const restored = this.#restoreMarks(newest);
    this.#pending = newest
      .filter((row) => !this.#index.find({ ...row, key: keyOf(row) }))
      .reverse();
    if (restored) void this.#tell(true);
    this.#kick();
  }

  /** New mail, listed by the new-mail watch. */
  added(rows: readonly InboxRow[]): void {
    for (const row of rows) this.#listed.set(keyOf(row), row);
    this.#pending.unshift(...[...rows].reverse());
    this.#kick();
  }

  /** An email deleted through this session. */
  removed(emailId: string): void {
    const key = keyOf({ id: emailId, from: '', receivedAt: '', title: '' });
    this.#listed.delete(key);
    this.#deps.security.forget(key);
    if (this.#index.remove(key)) this.#dirty = true;
  }

  /** The listed emails holding every word of the query (prefixes, folded), newest last. */
  search(query: string): FoundEmail[] {
    const keys = this.#index.search(query);
    const found: FoundEmail[] = [];
    for (const key of keys) {
      const row = this.#listed.get(key);
      if (row)
        found.push(row.id === undefined ? { index: row.index } : { index: row.index, id: row.id });
    }
    found.sort((a, b) => a.index - b.index);
    return found.slice(-MAX_RESULTS);
  }

  /** How many of the emails to index are indexed. */
  progress(): { indexed: number; total: number } {
    const total = Math.min(this.#listed.size, MAX_EMAILS);
    return { indexed: Math.max(0, total - this.#pending.length), total };
  }

  /** Stops at the read in progress and keeps what was indexed; the session is ending. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#recordOpenings();
    this.#save();
  }

  /** Marks of emails indexed in an earlier session, for rows the session has not opened itself; whether there were any. */
  #restoreMarks(rows: readonly InboxRow[]): boolean {
    const { security, sealed } = this.#deps;
    const plainSenders = new Set<string>();
    const marked: { row: InboxRow; mark: StoredMark }[] = [];
    for (const row of rows) {
      const mark = this.#index.find({ ...row, key: keyOf(row) })?.mark;
      if (!mark || security.of(row).kind !== 'unopened') continue;
      marked.push({ row, mark });
      if (mark.kind === 'plain') plainSenders.add(row.from);
    }
    const standings = sealed.standings([...plainSenders]);
    for (const { row, mark } of marked) {
      const standing = standings.get(row.from) ?? { holdsKey: false, sealedBefore: false };
      const state: EmailSecurity =
        mark.kind === 'plain' ? { kind: 'plain', sender: row.from, ...standing } : mark;
      security.remember(row, state);
      this.#tellMark(row, state);
    }
    return marked.length > 0;
  }

  #kick(): void {
    void this.#tell(false);
    if (this.#running || this.#stopped || this.#pending.length === 0) return;
    this.#running = true;
    void this.#work().finally(() => {
      this.#running = false;
    });
  }

  async #work(): Promise<void> {
    try {
      while (!this.#stopped && this.#pending.length > 0) {
        await this.#deps.serialise(async () => {
          for (let read = 0; read < BATCH && !this.#stopped;) {
            const rows = this.#nextReads();
            const [first] = rows;
            if (!first) return;
            if (rows.length > 1) read += await this.#indexMany(rows);
            else {
              await this.#indexOne(first);
              read++;
            }
            await turn();
          }
        });
        await this.#tell(false);
        if (Date.now() - this.#savedAt >= SAVE_EVERY_MS) this.#save();
      }
    } catch (error) {
      // The session is over (its end is told by the child); anything else is only the gateway's log.
      if (!this.#stopped && !isConnectionLost(error) && !this.#deps.client.ended)
        this.#deps.warn({ err: error }, 'the search indexer stopped');
      return;
    }
    if (this.#stopped) return;
    this.#recordOpenings();
    this.#save();
    await this.#tell(true);
  }

  /** Whether a row is still to be read: listed, and not indexed meanwhile. */
  #wanted(row: InboxRow): boolean {
    const key = keyOf(row);
    return this.#listed.has(key) && !this.#index.find({ ...row, key });
  }

  /**
   * The next rows to read, taken from the pending ones: up to READS_PER_EXCHANGE rows that can
   * be read in one exchange (session version 7), or else one.
   */
  #nextReads(): InboxRow[] {
    const first = this.#pending.shift();
    if (!first) return [];
    const inBatch = (row: InboxRow): boolean => row.id !== undefined && batchable(row.id);
    if (!this.#deps.client.capabilities.batchReads || !inBatch(first)) return [first];
    const rows = [first];
    while (rows.length < READS_PER_EXCHANGE) {
      const next = this.#pending[0];
      if (!next || !inBatch(next)) break;
      this.#pending.shift();
      if (this.#wanted(next)) rows.push(next);
    }
    return rows;
  }

  /** Reads rows (with ids) in one exchange; those the server left for later go back in front. */
  async #indexMany(rows: readonly InboxRow[]): Promise<number> {
    const wanted = rows.filter((row) => this.#wanted(row));
    if (wanted.length === 0) return rows.length;
    const results = await this.#deps.client.readBatch(wanted.map((row) => row.id ?? ''));
    this.#pending.unshift(...wanted.slice(results.length));
    for (const [i, result] of results.entries()) {
      const row = wanted[i];
      if (row && this.#wanted(row)) await this.#indexRead(row, result, true);
    }
    return results.length;
  }

  async #indexOne(row: InboxRow): Promise<void> {
    if (!this.#wanted(row)) return;
    const { client } = this.#deps;
    const byId = row.id !== undefined && client.capabilities.emailIds;
    const result = await client.read(byId ? { id: row.id ?? '' } : row.index);
    await this.#indexRead(row, result, byId);
  }

  /** Puts what a read found in the index, with the mark its opening gives. */
  async #indexRead(row: InboxRow, result: ReadResult, byId: boolean): Promise<void> {
    const key = keyOf(row);
    const { sealed, security } = this.#deps;
    if (result.kind === 'refused') return;
    const { email } = result;
    const indexed = { key, from: row.from, receivedAt: row.receivedAt, title: row.title };
    this.#dirty = true;
    if (!email) {
      this.#index.add(indexed, undefined);
      return;
    }
    // Read by index, the inbox may have changed since the listing: not this row after all.
    if (email.from !== row.from || email.receivedAt !== row.receivedAt || email.title !== row.title)
      return;
    const opened = await sealed.open(email, byId ? row.id : undefined);
    // A signature that held makes its signer one who seals (and pins their key): rows of plain
    // emails in their name, marked before, now carry the warning.
    if (opened?.signerFingerprint !== undefined) this.#restand(opened.signedBy);
    if (opened?.emailId !== undefined)
      this.#openings.push({
        index: row.index,
        emailId: opened.emailId,
        place: { receivedAt: email.receivedAt, ...(byId && row.id ? { serverId: row.id } : {}) },
      });
    const standing = sealed.standings([email.from]).get(email.from) ?? {
      holdsKey: false,
      sealedBefore: false,
    };
    const state: EmailSecurity = securityOf(email, opened, standing);
    // The person may have opened it meanwhile: what the reader found stays.
    if (security.of(row).kind === 'unopened') {
      security.remember(row, state);
      this.#tellMark(row, state);
    }
    const text: EmailText = !opened
      ? email
      : opened.content === undefined
        ? { from: email.from, to: email.to, title: email.title, content: '' }
        : { from: opened.from, to: opened.to, title: opened.title, content: opened.content };
    this.#index.add(
      { ...indexed, mark: state.kind === 'plain' ? { kind: 'plain' } : toStored(state) },
      text,
    );
  }

  /** Plain rows in `name`'s name marked with what was known of `name` before: marked again. */
  #restand(name: string): void {
    const { security, sealed } = this.#deps;
    const standing = sealed.standings([name]).get(name);
    const known = this.#signers.get(name);
    // Once per change of what is known of a signer, not per email of theirs.
    if (
      !standing ||
      (known?.holdsKey === standing.holdsKey && known.sealedBefore === standing.sealedBefore)
    )
      return;
    this.#signers.set(name, standing);
    for (const row of this.#listed.values()) {
      if (row.from !== name) continue;
      const state = security.of(row);
      if (
        state.kind !== 'plain' ||
        (state.holdsKey === standing.holdsKey && state.sealedBefore === standing.sealedBefore)
      )
        continue;
      const updated: EmailSecurity = { ...state, ...standing };
      security.remember(row, updated);
      this.#tellMark(row, updated);
    }
  }

  #tellMark(row: InboxRow, state: EmailSecurity): void {
    if (this.#marks.length < MAX_MARKS_TOLD)
      this.#marks.push({
        index: row.index,
        ...(row.id === undefined ? {} : { id: row.id }),
        security: state,
      });
  }

  /** The openings deferred, recorded oldest first (the first copy of an email is the original). */
  #recordOpenings(): void {
    const openings = this.#openings.sort((a, b) => a.index - b.index);
    this.#openings = [];
    try {
      this.#deps.opened?.openedAll(
        openings.map(({ emailId, place }) => ({ emailId: Buffer.from(emailId, 'hex'), place })),
      );
    } catch (error) {
      this.#deps.warn({ err: error }, 'the opened emails cannot be recorded');
    }
  }

  #save(): void {
    if (!this.#dirty) return;
    try {
      this.#deps.file.save(this.#index);
      this.#dirty = false;
    } catch (error) {
      this.#deps.warn({ err: error }, 'the search index cannot be written');
    }
    this.#savedAt = Date.now();
  }

  async #tell(done: boolean): Promise<void> {
    const now = Date.now();
    if (!done && now - this.#toldAt < PROGRESS_EVERY_MS) return;
    this.#toldAt = now;
    const { indexed, total } = this.progress();
    const marks = this.#marks;
    this.#marks = [];
    await this.#deps.progress(indexed, total, marks);
  }
}

function toStored(state: EmailSecurity): StoredMark | undefined {
  return state.kind === 'sealed' || state.kind === 'sealedNotVerified' ? state : undefined;
}

/** The answer to the browser's search: the emails found, and how far the index is. */
export function searchReply(
  indexer: Indexer | undefined,
  request: Pick<SearchRequest, 'id' | 'query'>,
): Extract<Reply, { type: 'searchResults' }> {
  return {
    type: 'searchResults',
    id: request.id,
    emails: indexer?.search(request.query) ?? [],
    ...(indexer?.progress() ?? { indexed: 0, total: 0 }),
  };
}
