/**
 * The content search's index, in the session child: an inverted index from folded words
 * (search-words.ts) to the emails holding them, with prefix matching ("quart" finds
 * "quarterly"), and beside each email the security mark its opening found (for the list's rows
 * before the email is opened again; email-security.ts).
 *
 * An email is named by its key (email-security.ts `keyOf`: its server id, or its row's sender,
 * time and title) and remembers the row's sender, time and title it was indexed under: a row
 * whose fields differ is not this entry (the server changed them) and is indexed again.
 *
 * Bounds (memory and the file, search-index-file.ts): MAX_EMAILS emails, MAX_WORDS_PER_EMAIL
 * distinct words of each (the first ones), MAX_POSTINGS (email, word) pairs in all and
 * MAX_VOCABULARY distinct words; past the last two an email is still indexed by its sender,
 * recipients and title where there is room, and its mark is kept. Measured: 21 MB of heap for
 * 10,000 emails of 84 distinct words; about 66 MB at the bounds.
 */
import type { EmailSecurity } from '../messages.js';
import { MAX_WORD_CHARS, wordsOf } from './search-words.js';

export const MAX_EMAILS = 20_000;
export const MAX_WORDS_PER_EMAIL = 2_000;
export const MAX_POSTINGS = 2_000_000;
export const MAX_VOCABULARY = 200_000;
/** At most this many words of a query are looked up. */
export const MAX_QUERY_WORDS = 16;

/**
 * What opening an email found, as kept: for a plain email, only that it is plain (who holds
 * keys and who sealed before is asked again when the mark is shown: it changes).
 */
export type StoredMark =
  Extract<EmailSecurity, { kind: 'sealed' | 'sealedNotVerified' }> | { kind: 'plain' };

/** The row an email was indexed under. */
export interface IndexedRow {
  key: string;
  from: string;
  receivedAt: string;
  title: string;
}

export interface IndexedEmail extends IndexedRow {
  /** Absent for an email this client could not parse: it has no mark. */
  mark?: StoredMark;
}

/** What an email says, as opened (a sealed email's signed lines and content when it opens). */
export interface EmailText {
  from: string;
  to: readonly string[];
  title: string;
  content: string;
}

interface Entry extends IndexedEmail {
  /** Its words, as numbers of the index's vocabulary (one copy of each word for all emails). */
  words: Uint32Array;
}

/** The first position in `sorted` whose value (by `valueOf`) is not below `value`. */
function lowerBound<T>(sorted: ArrayLike<T>, value: string, valueOf: (item: T) => string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (valueOf(sorted[middle] as T) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function numberBound(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class SearchIndex {
  /** By entry number; numbers only grow, so each posting list stays sorted. */
  readonly #entries: (Entry | undefined)[] = [];
  readonly #byKey = new Map<string, number>();
  /** The vocabulary: each word's number, each number's word and posting list. */
  readonly #numberOf = new Map<string, number>();
  readonly #words: string[] = [];
  readonly #lists: number[][] = [];
  /** Numbers of words no email holds any more, given to the next new words. */
  readonly #free: number[] = [];
  #postingCount = 0;
  /** Word numbers in the words' order, for prefix ranges; rebuilt at the first search after a change. */
  #sorted: Uint32Array | undefined;
  readonly #limits: { emails: number; postings: number; vocabulary: number };

  constructor(limits: Partial<{ emails: number; postings: number; vocabulary: number }> = {}) {
    this.#limits = {
      emails: limits.emails ?? MAX_EMAILS,
      postings: limits.postings ?? MAX_POSTINGS,
      vocabulary: limits.vocabulary ?? MAX_VOCABULARY,
    };
  }

  get size(): number {
    return this.#byKey.size;
  }

  get postings(): number {
    return this.#postingCount;
  }

  get vocabulary(): number {
    return this.#numberOf.size;
  }

  /** The entry of a row, when it was indexed under these very fields. */
  find(row: IndexedRow): IndexedEmail | undefined {
    const number = this.#byKey.get(row.key);
    const entry = number === undefined ? undefined : this.#entries[number];
    if (
      !entry ||
      entry.from !== row.from ||
      entry.receivedAt !== row.receivedAt ||
      entry.title !== row.title
    )
      return undefined;
    const { key, from, receivedAt, title, mark } = entry;
    return { key, from, receivedAt, title, ...(mark ? { mark } : {}) };
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#byKey.keys();
  }

  /**
   * Indexes an email (replacing what its key had). Its sender, recipients and title come first,
   * so that an email whose content is cut by the bounds is still found by them.
   */
  add(email: IndexedEmail, text: EmailText | undefined): void {
    const words = text
      ? wordsOf(
          `${text.from} ${text.to.join(' ')} ${text.title}\n${text.content}`,
          MAX_WORDS_PER_EMAIL,
        )
      : [];
    this.addWords(email, words);
  }

  /** Indexes an email under words already folded and distinct (a loaded file's). */
  addWords(email: IndexedEmail, words: readonly string[]): void {
    this.remove(email.key);
    while (this.#byKey.size >= this.#limits.emails) {
      const oldest = this.#byKey.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    const number = this.#entries.length;
    const kept = new Uint32Array(Math.min(words.length, MAX_WORDS_PER_EMAIL));
    let count = 0;
    for (const word of words) {
      if (this.#postingCount >= this.#limits.postings || count >= kept.length) break;
      let id = this.#numberOf.get(word);
      if (id === undefined) {
        if (this.#numberOf.size >= this.#limits.vocabulary) continue;
        id = this.#free.pop() ?? this.#words.length;
        this.#words[id] = word;
        this.#lists[id] = [];
        this.#numberOf.set(word, id);
        this.#sorted = undefined;
      }
      const list = this.#lists[id];
      if (!list || list.at(-1) === number) continue;
      list.push(number);
      this.#postingCount++;
      kept[count++] = id;
    }
    this.#entries.push({ ...email, words: kept.slice(0, count) });
    this.#byKey.set(email.key, number);
  }

  /** An email that left the inbox leaves the index. */
  remove(key: string): boolean {
    const number = this.#byKey.get(key);
    if (number === undefined) return false;
    const entry = this.#entries[number];
    this.#entries[number] = undefined;
    this.#byKey.delete(key);
    for (const id of entry?.words ?? []) {
      const list = this.#lists[id];
      if (!list) continue;
      const at = numberBound(list, number);
      if (list[at] === number) {
        list.splice(at, 1);
        this.#postingCount--;
      }
      if (list.length === 0) {
        this.#numberOf.delete(this.#words[id] ?? '');
        this.#free.push(id);
        this.#sorted = undefined;
      }
    }
    return true;
  }

  #sortedWords(): Uint32Array {
    if (this.#sorted) return this.#sorted;
    const ids = Uint32Array.from(this.#numberOf.values());
    const words = this.#words;
    // By the words' code units, as the prefix search compares them.
    ids.sort((a, b) => {
      const x = words[a] ?? '';
      const y = words[b] ?? '';
      return x < y ? -1 : x > y ? 1 : 0;
    });
    this.#sorted = ids;
    return ids;
  }

  /**
   * The keys of the emails holding every word of the query, each word as the start of a word
   * (after folding). An empty query finds nothing.
   */
  search(query: string): Set<string> {
    const words = wordsOf(query, MAX_QUERY_WORDS, 1).map((word) => word.slice(0, MAX_WORD_CHARS));
    const found = new Set<string>();
    if (words.length === 0) return found;
    const sorted = this.#sortedWords();
    const wordOf = (id: number): string => this.#words[id] ?? '';
    // How many of the query's words each entry holds so far: an entry counts for word k only
    // when it held the k - 1 before it.
    const held = new Uint8Array(this.#entries.length);
    let round = 0;
    for (const word of words) {
      round++;
      let any = false;
      for (let at = lowerBound(sorted, word, wordOf); at < sorted.length; at++) {
        const id = sorted[at] ?? 0;
        if (!wordOf(id).startsWith(word)) break;
        for (const number of this.#lists[id] ?? []) {
          if (held[number] === round - 1) {
            held[number] = round;
            any = true;
          }
        }
      }
      if (!any) return found;
    }
    for (let number = 0; number < held.length; number++) {
      if (held[number] !== round) continue;
      const entry = this.#entries[number];
      if (entry) found.add(entry.key);
    }
    return found;
  }

  /** Every entry with its words, oldest first (for the file). */
  *entries(): IterableIterator<IndexedEmail & { words: readonly string[] }> {
    for (const entry of this.#entries) {
      if (!entry) continue;
      const { words, ...email } = entry;
      yield { ...email, words: Array.from(words, (id) => this.#words[id] ?? '') };
    }
  }
}
