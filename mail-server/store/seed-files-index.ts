/**
 * An inbox's listing without opening every email (as Dovecot's index and cache): the listing
 * fields of each email file are kept in a snapshot and a journal (seed-files-journal.ts), and
 * in this process's memory between calls.
 *
 * The folder stays the truth. A listing checks the rows against the folder's file names: a
 * file no row names (added by another program, or by a process that died between its link
 * and its journal line) has its header read; a row whose file is gone is dropped. Any process
 * can deliver while others list, with no lock: a line lost or a snapshot written late costs a
 * header read, never a wrong listing. The check is skipped when the folder has not changed
 * since the last one (its modification time, once it is old enough to be trusted), and when
 * every change since is the server's own: each journal line carries the folder's modification
 * time read just after its link or unlink, and a folder no newer than the newest such time
 * holds nothing the journal has not said (deliveries write their temporary files elsewhere, so
 * that only links and unlinks touch it). So a listing among busy deliveries costs the journal's
 * new lines, not the inbox's size; the names are still read at least once a second.
 * A file replaced in place under the same name by another program is not noticed until the
 * folder changes otherwise; the server itself never does that.
 */
import { readdirSync, statSync } from 'node:fs';
import { sharedPrefix, VersionedArray } from '../../common/shared-prefix.js';
import { isEmailFileName, readInboxEntry, type InboxEntry } from './seed-files-email.js';
import { insertionPoint, sameEntry, sortEntries } from './seed-files-order.js';
import {
  appendEvent,
  fileMark,
  indexFiles,
  readJournal,
  readSnapshot,
  readSnapshotHead,
  restartJournal,
  sameFileMark,
  writeSnapshot,
  type FileMark,
  type JournalEvent,
  type JournalMark,
} from './seed-files-journal.js';

/**
 * A folder's modification time is trusted to tell "unchanged" only once it is this much older
 * than the check that saw it: the kernel stamps changes with a coarse clock, so two changes
 * within one tick share a stamp.
 */
const SETTLED_MS = 1000;
/**
 * However well the journal explains the folder's changes, the folder's names are read at least
 * this often (per process and inbox), so that a change by another program that shared a clock
 * tick with one of the server's is seen within it.
 */
const FULL_CHECK_MS = 1000;
/**
 * Journal bytes beyond the newest snapshot (whoever wrote it) after which a listing writes a new
 * one: about a thousand events. A snapshot costs the whole inbox, so it is written rarely and
 * by one process for all (the others see its mark and do not write their own).
 */
const SNAPSHOT_AFTER_BYTES = 128 * 1024;
/**
 * Headers read by one listing that are worth a snapshot at once (an index rebuilt from the
 * files); fewer are the race of a listing with a delivery between its link and its journal
 * line, which costs a header read, not a snapshot.
 */
const SNAPSHOT_AFTER_HEADS = 32;
/** A journal larger than this is started anew when a snapshot is written. */
const JOURNAL_RESTART_BYTES = 1024 * 1024;

/** What a check against the folder's names changed: headers read, rows of files gone. */
interface Reconciled {
  headsRead: number;
  dropped: number;
}

interface FolderStamp {
  ino: bigint;
  mtimeNs: bigint;
}

function folderStamp(folder: string): FolderStamp {
  const stats = statSync(folder, { bigint: true });
  return { ino: stats.ino, mtimeNs: stats.mtimeNs };
}

export class InboxIndex {
  readonly #inbox: string;
  readonly #files: ReturnType<typeof indexFiles>;
  readonly #rows = new Map<string, InboxEntry>();
  /** The sum of the rows' sizes. */
  #bytes = 0;
  /**
   * The rows in listing order, as last given out (each array a version of the one before, so
   * that a listing made from them redoes only what follows the first change).
   */
  readonly #sorted = new VersionedArray<InboxEntry>();
  /** The rows in order, changed since they were last given out; none when unchanged. */
  #changing: { rows: InboxEntry[]; firstChanged: number } | undefined;
  /** Whether the rows must be sorted again (all taken in anew, from a snapshot or the folder). */
  #unsorted = true;
  /** The snapshot file as last seen (read, or its mark peeked). */
  #snapshot: FileMark | undefined;
  /** How much of which journal the newest snapshot seen includes. */
  #snapshotMark: JournalMark | undefined;
  /** How far the journal has been applied. */
  #journal = { ino: 0, offset: 0 };
  /** The folder as the last check against its file names saw it, and when. */
  #checked: { stamp: FolderStamp; atMs: number } | undefined;
  /** The folder as the last listing saw it (checked, or explained by the journal), and when. */
  #seen: { stamp: FolderStamp; atMs: number } | undefined;
  /** The latest folder time the journal's events carry: changes up to it are in the rows. */
  #explainedNs = 0n;
  /** Whether the index files have been read (the rows are kept from then on). */
  #loaded = false;

  /** The index of `inbox`, its files in `indexFolder` under `name`. */
  constructor(inbox: string, indexFolder: string, name: string) {
    this.#inbox = inbox;
    this.#files = indexFiles(indexFolder, name);
  }

  /** The inbox, oldest first (G.1), checked against the folder; the same array while unchanged. */
  entries(): readonly InboxEntry[] {
    const stamp = folderStamp(this.#inbox);
    const seen = this.#seen;
    if (
      seen &&
      !this.#unsorted &&
      !this.#changing &&
      seen.stamp.ino === stamp.ino &&
      seen.stamp.mtimeNs === stamp.mtimeNs &&
      seen.atMs - Number(stamp.mtimeNs / 1_000_000n) > SETTLED_MS
    )
      return this.#sorted.current;
    this.#load();
    const now = Date.now();
    const checked = this.#checked;
    // The folder changed since, but only as the server's own journal lines say: no names read.
    const explained =
      checked !== undefined &&
      checked.stamp.ino === stamp.ino &&
      now - checked.atMs < FULL_CHECK_MS &&
      this.#explainedNs >= stamp.mtimeNs;
    let found: Reconciled = { headsRead: 0, dropped: 0 };
    if (!explained) {
      found = this.#reconcile(readdirSync(this.#inbox));
      this.#checked = { stamp, atMs: now };
    }
    this.#seen = { stamp, atMs: now };
    const sorted = this.#inOrder();
    if (this.#snapshotDue(found)) this.#saveSnapshot();
    return sorted;
  }

  /**
   * Bytes of the inbox's email files (what its quota counts), from the index as the server's
   * processes left it: the folder itself is read only when this process has not checked it yet,
   * so a delivery costs the same into any inbox. A file another program put in or took out
   * counts from the next listing on.
   */
  storedBytes(): number {
    if (this.#checked) this.#load();
    else this.entries();
    return this.#bytes;
  }

  /** An email was delivered into the inbox (its file is linked just now). */
  added(entry: InboxEntry): void {
    this.#record({ kind: 'added', entry, folderTime: this.#folderTime() });
  }

  /** An email was removed from the inbox (its file unlinked just now). */
  removed(file: string): void {
    const bytes = this.#rows.get(file)?.bytes;
    this.#record({ kind: 'removed', file, folderTime: this.#folderTime(), bytes });
  }

  /** The folder's modification time now, or none when it cannot be read. */
  #folderTime(): bigint | undefined {
    try {
      return folderStamp(this.#inbox).mtimeNs;
    } catch {
      return undefined;
    }
  }

  #record(event: JournalEvent): void {
    // An index never loaded (a process that only delivers here) reads the line at its first
    // load instead: it keeps no rows meanwhile.
    if (this.#loaded) this.#apply(event);
    try {
      appendEvent(this.#files.journal, event);
    } catch {
      // The index is a cache: without the line, the next listing finds the change in the folder.
    }
  }

  #apply(event: JournalEvent): void {
    if (event.kind === 'added') this.#put(event.entry);
    else this.#drop(event.file);
    if (event.folderTime !== undefined && event.folderTime > this.#explainedNs)
      this.#explainedNs = event.folderTime;
  }

  #put(entry: InboxEntry): void {
    // A row names an email file, whatever a damaged journal or snapshot says.
    if (!isEmailFileName(entry.file)) return;
    const known = this.#rows.get(entry.file);
    // The same email again (this process reads back its own journal lines): its row is kept,
    // the same object, so that nothing made from the rows is made again.
    if (known && sameEntry(known, entry)) return;
    this.#drop(entry.file);
    this.#rows.set(entry.file, entry);
    this.#bytes += entry.bytes;
    if (this.#unsorted) return;
    const rows = this.#rowsToChange();
    // Mostly the newest email: found at the end, one comparison.
    const at = insertionPoint(rows, entry);
    if (at === rows.length) rows.push(entry);
    else rows.splice(at, 0, entry);
    this.#changedFrom(at);
  }

  /** The rows in listing order: a new array when they changed, else the same one. */
  #inOrder(): readonly InboxEntry[] {
    if (this.#unsorted) {
      const sorted = sortEntries(this.#rows.values());
      this.#unsorted = false;
      this.#changing = undefined;
      return this.#sorted.replace(sorted, sharedPrefix(this.#sorted.current, sorted));
    }
    const changing = this.#changing;
    if (!changing) return this.#sorted.current;
    this.#changing = undefined;
    return this.#sorted.replace(changing.rows, changing.firstChanged);
  }

  /** The rows to change in place: a copy of those given out, made at the first change. */
  #rowsToChange(): InboxEntry[] {
    this.#changing ??= { rows: this.#sorted.current.slice(), firstChanged: Infinity };
    return this.#changing.rows;
  }

  #changedFrom(position: number): void {
    const changing = this.#changing;
    if (changing) changing.firstChanged = Math.min(changing.firstChanged, position);
  }

  /** All rows are taken in anew: sorted at the next listing. */
  #unsort(): void {
    this.#unsorted = true;
    this.#changing = undefined;
  }

  #drop(file: string): void {
    const row = this.#rows.get(file);
    if (!row) return;
    this.#rows.delete(file);
    this.#bytes -= row.bytes;
    if (this.#unsorted) return;
    const rows = this.#rowsToChange();
    const at = rows.lastIndexOf(row);
    if (at < 0) {
      this.#unsort();
      return;
    }
    rows.splice(at, 1);
    this.#changedFrom(at);
  }

  /**
   * Whether this listing writes a snapshot: when there is none yet (senders count the quota from
   * one, seed-files-usage.ts), when it rebuilt many rows from the files, when it found files
   * gone that the journal did not name (rare: another program took them), or when the journal
   * has grown well past the newest snapshot.
   */
  #snapshotDue({ headsRead, dropped }: Reconciled): boolean {
    if (!this.#snapshotMark || headsRead >= SNAPSHOT_AFTER_HEADS || dropped > 0) return true;
    const mark = this.#snapshotMark;
    const covered = mark.ino === this.#journal.ino ? mark.size : 0;
    return this.#journal.offset - covered > SNAPSHOT_AFTER_BYTES;
  }

  /**
   * Takes in a snapshot written by another process since, then the journal's new lines. A
   * snapshot of the journal this process already reads holds nothing that the journal's lines
   * from where it has read do not say (but what that listing found in the folder, which this
   * process's own check of the folder finds): only its mark is read, not its rows, which cost
   * the whole inbox (each snapshot used to be read whole by every process listing the inbox).
   */
  #load(): void {
    const first = !this.#loaded;
    this.#loaded = true;
    const mark = fileMark(this.#files.snapshot);
    const known = this.#snapshot;
    if (mark && !sameFileMark(mark, known)) {
      const peeked = readSnapshotHead(this.#files.snapshot)?.journal;
      // At the first load the snapshot is taken even of the same journal: cheaper than all of
      // the journal's lines before its mark.
      const behind =
        peeked === undefined ||
        peeked.ino !== this.#journal.ino ||
        (first && peeked.size > this.#journal.offset);
      const snapshot = behind ? readSnapshot(this.#files.snapshot) : undefined;
      if (snapshot) {
        this.#rows.clear();
        this.#bytes = 0;
        this.#unsort();
        for (const row of snapshot.rows) this.#put(row);
        // Written in listing order: taken as it is, not sorted again (less any row not kept).
        this.#unsorted = false;
        const kept = snapshot.rows.filter((row) => this.#rows.get(row.file) === row);
        this.#changing = { rows: kept, firstChanged: 0 };
        this.#journal = { ino: snapshot.journal.ino, offset: snapshot.journal.size };
      }
      this.#snapshotMark = snapshot?.journal ?? peeked ?? this.#snapshotMark;
      this.#snapshot = mark;
    }
    let journal = readJournal(this.#files.journal, this.#journal.offset);
    // Another journal than the one read so far (started anew): all of it is new.
    if (journal && journal.ino !== this.#journal.ino && this.#journal.offset > 0)
      journal = readJournal(this.#files.journal, 0);
    if (!journal) return;
    for (const event of journal.events) this.#apply(event);
    this.#journal = { ino: journal.ino, offset: journal.end };
  }

  /** Makes the rows name exactly the folder's email files. */
  #reconcile(listed: readonly string[]): Reconciled {
    // Mostly the rows name the folder's files exactly (rows name email files only): one look-up
    // a name says so, where sets and filters cost four passes over a large inbox each second.
    if (listed.length === this.#rows.size && listed.every((name) => this.#rows.has(name)))
      return { headsRead: 0, dropped: 0 };
    const names = listed.filter(isEmailFileName);
    const present = new Set(names);
    let dropped = 0;
    for (const file of [...this.#rows.keys()])
      if (!present.has(file)) {
        this.#drop(file);
        dropped++;
      }
    let headsRead = 0;
    for (const name of names) {
      if (this.#rows.has(name)) continue;
      const entry = readInboxEntry(this.#inbox, name);
      headsRead++;
      if (entry) this.#put(entry);
    }
    return { headsRead, dropped };
  }

  #saveSnapshot(): void {
    const { folder, snapshot, journal } = this.#files;
    try {
      let mark = { ino: this.#journal.ino, size: this.#journal.offset };
      if (this.#journal.offset > JOURNAL_RESTART_BYTES)
        mark = { ino: restartJournal(folder, journal), size: 0 };
      writeSnapshot(folder, snapshot, { journal: mark, rows: this.#inOrder() });
      this.#journal = { ino: mark.ino, offset: mark.size };
      this.#snapshot = fileMark(snapshot);
      this.#snapshotMark = mark;
    } catch {
      // The index is a cache: the next listing reads again what this one could not keep.
    }
  }
}
