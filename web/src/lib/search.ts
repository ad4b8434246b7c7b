import type { InboxItem } from '../../../gateway/messages.js';

/**
 * Search over what the browser has: the listed sender, title and date of every email, the
 * text of the emails opened in this session, and what the gateway's index found inside every
 * email (content-search.svelte.ts). Words must all match (anywhere); `from:`, `title:`,
 * `date:` (a date or its start, 2026-11 or 2026-11-20), `after:` and `before:` narrow.
 */
export interface SearchQuery {
  words: string[];
  from: string[];
  title: string[];
  date: string[];
  after?: string;
  before?: string;
}

export interface TextRange {
  start: number;
  end: number;
}

export interface ItemMatch {
  from: TextRange[];
  title: TextRange[];
  /** A piece of the body around the first match, when the words were found only there. */
  snippet?: { text: string; ranges: TextRange[] };
}

const FIELDS = ['from', 'title', 'date', 'after', 'before'] as const;

export function parseQuery(text: string): SearchQuery {
  const query: SearchQuery = { words: [], from: [], title: [], date: [] };
  for (const token of text.match(/(?:[^\s"]+:)?"[^"]*"|\S+/g) ?? []) {
    const colon = token.indexOf(':');
    const field = FIELDS.find((name) => token.slice(0, colon).toLowerCase() === name);
    const value = unquote(field ? token.slice(colon + 1) : token);
    if (value === '') continue;
    if (field === 'after' || field === 'before') query[field] = value;
    else if (field) query[field].push(value);
    else query.words.push(value);
  }
  return query;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

export function isEmptyQuery(query: SearchQuery): boolean {
  return (
    query.words.length === 0 &&
    query.from.length === 0 &&
    query.title.length === 0 &&
    query.date.length === 0 &&
    query.after === undefined &&
    query.before === undefined
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every place the words occur in a text, case-insensitive, merged where they overlap. */
export function findRanges(text: string, words: readonly string[], limit = 50): TextRange[] {
  const ranges: TextRange[] = [];
  for (const word of words) {
    const pattern = new RegExp(escapeRegExp(word), 'giu');
    for (const match of text.matchAll(pattern)) {
      ranges.push({ start: match.index, end: match.index + match[0].length });
      if (ranges.length >= limit) break;
    }
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: TextRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

function contains(text: string, word: string): boolean {
  return text.toLowerCase().includes(word.toLowerCase());
}

/** The date part of the protocol's time ("2026-11-20 09:00:00.5" → "2026-11-20"). */
const day = (receivedAt: string): string => receivedAt.slice(0, 10);

const SNIPPET_BEFORE = 12;
const SNIPPET_LENGTH = 120;

/**
 * Whether an email matches, and where (for highlighting); undefined when it does not.
 * `body` is the email's text when it has been opened in this session; `inText`, that the
 * gateway's index found every word inside the email.
 */
export function matchItem(
  item: InboxItem,
  query: SearchQuery,
  body?: string,
  inText = false,
): ItemMatch | undefined {
  if (!query.from.every((word) => contains(item.from, word))) return undefined;
  if (!query.title.every((word) => contains(item.title, word))) return undefined;
  if (!query.date.every((prefix) => item.receivedAt.startsWith(prefix))) return undefined;
  if (query.after !== undefined && day(item.receivedAt) <= query.after) return undefined;
  if (query.before !== undefined && day(item.receivedAt) >= query.before) return undefined;
  let inBody = false;
  for (const word of query.words) {
    if (contains(item.from, word) || contains(item.title, word) || item.receivedAt.includes(word))
      continue;
    if (body !== undefined && contains(body, word)) {
      inBody = true;
      continue;
    }
    if (inText) continue;
    return undefined;
  }
  const match: ItemMatch = {
    from: findRanges(item.from, [...query.words, ...query.from]),
    title: findRanges(item.title, [...query.words, ...query.title]),
  };
  if (inBody && body !== undefined) match.snippet = snippet(body, query.words);
  return match;
}

function snippet(body: string, words: readonly string[]): { text: string; ranges: TextRange[] } {
  const at = findRanges(body, words, 1)[0]?.start ?? 0;
  let start = Math.max(0, at - SNIPPET_BEFORE);
  // Start at a word, not inside one.
  const space = body.slice(start, at).search(/\s/);
  if (start > 0 && space >= 0) start += space + 1;
  const piece = body.slice(start, start + SNIPPET_LENGTH).replace(/\s+/g, ' ');
  const text = `${start > 0 ? '…' : ''}${piece}`;
  return { text, ranges: findRanges(text, words) };
}

export interface Segment {
  text: string;
  mark: boolean;
}

/** A text cut into plain and highlighted pieces, to render as text nodes and <mark>s. */
export function segments(text: string, ranges: readonly TextRange[]): Segment[] {
  const pieces: Segment[] = [];
  let at = 0;
  for (const { start, end } of ranges) {
    if (start > at) pieces.push({ text: text.slice(at, start), mark: false });
    pieces.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length || pieces.length === 0) pieces.push({ text: text.slice(at), mark: false });
  return pieces;
}
