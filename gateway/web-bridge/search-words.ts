/**
 * The words of the content search (search-index.ts), folded one way for what is indexed and
 * for what is asked: Unicode compatibility decomposition (NFKD), combining marks dropped, lower
 * case. So "Quarterly", "QUARTERLY" and "quarterly" are one word, as are "Café" and "cafe",
 * and "ﬁle" (a ligature) and "file". A word is a run of letters and digits.
 */

/** Longer words are kept as their first MAX_WORD_CHARS characters (a prefix search still finds them). */
export const MAX_WORD_CHARS = 40;
/** Shorter words are not indexed: one letter finds everything. A query word may be one letter. */
export const MIN_INDEXED_CHARS = 2;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

export function fold(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/**
 * The distinct folded words of a text, in the order they first appear, at most `limit` of
 * them; each cut to MAX_WORD_CHARS, none shorter than `minChars`.
 */
export function wordsOf(text: string, limit: number, minChars = MIN_INDEXED_CHARS): string[] {
  const words = new Set<string>();
  for (const match of fold(text).matchAll(WORD)) {
    const word = match[0];
    if (word.length < minChars) continue;
    words.add(word.length > MAX_WORD_CHARS ? word.slice(0, MAX_WORD_CHARS) : word);
    if (words.size >= limit) break;
  }
  return [...words];
}
