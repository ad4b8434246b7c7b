/**
 * An inbox's size for its quota, counted in a process that delivers into the inbox but does not
 * list it: from the snapshot's first bytes (its rows' total) and the size each journal line adds
 * or takes away since (seed-files-journal.ts). The rows themselves are never read, so that a
 * delivery costs the lines appended since the last one, not the inbox: with every session its own
 * process, each sender used to build and keep the whole index of each inbox it delivered to.
 *
 * The count is the index's, as the last snapshot and the journal give it. A file another program
 * put in or took out counts once a listing has written a snapshot that includes it (at once for
 * a removal; for additions after 32 of them or about a thousand deliveries). A listing that
 * reads the folder between a delivery's link and its journal line puts that email in its
 * snapshot and the line counts it again (a removal likewise): one email too many or too few
 * until the next snapshot, which this count starts from again; a line appended to a journal
 * just before a listing starts it anew is in neither file and counts from the snapshot after.
 */
import {
  fileMark,
  indexFiles,
  readJournalSizes,
  readSnapshotHead,
  sameFileMark,
  type FileMark,
  type JournalMark,
} from './seed-files-journal.js';

export class InboxUsage {
  readonly #files: ReturnType<typeof indexFiles>;
  /** The snapshot file the count started from. */
  #snapshot: FileMark | undefined;
  /** How far the count has read, in which journal. */
  #journal: JournalMark = { ino: 0, size: 0 };
  #bytes = 0;

  constructor(indexFolder: string, name: string) {
    this.#files = indexFiles(indexFolder, name);
  }

  /**
   * Bytes of the inbox's email files, or undefined when the index files cannot tell (no snapshot
   * of this version, a journal started anew after it, a line that does not say its size): the
   * caller then counts with the whole index.
   */
  storedBytes(): number | undefined {
    const mark = fileMark(this.#files.snapshot);
    if (!mark) return this.#forget();
    const known = this.#snapshot;
    if (!sameFileMark(mark, known)) {
      // A new snapshot: counted from it again, which also corrects a race it has settled.
      const head = readSnapshotHead(this.#files.snapshot);
      if (!head) return this.#forget();
      this.#snapshot = mark;
      this.#journal = head.journal;
      this.#bytes = head.bytes;
    }
    const lines = readJournalSizes(this.#files.journal, this.#journal.size);
    if (!lines) {
      // No journal yet (nothing delivered since a snapshot of none), or it has gone.
      if (this.#journal.size === 0) return this.#bytes;
      return this.#forget();
    }
    // Another journal than the one counted from (started anew after the snapshot, its own not
    // written yet), unless none had been read: then all of it is new (as the index reads it).
    const otherJournal = lines.ino !== this.#journal.ino && this.#journal.size > 0;
    if (otherJournal || lines.sum === undefined) return this.#forget();
    this.#journal = { ino: lines.ino, size: lines.end };
    this.#bytes = Math.max(0, this.#bytes + lines.sum);
    return this.#bytes;
  }

  /** The count is started again from the next snapshot; the caller counts otherwise now. */
  #forget(): number | undefined {
    this.#snapshot = undefined;
    return undefined;
  }
}
