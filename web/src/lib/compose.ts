import { MAX_CONTENT_CHARS, MAX_TITLE_CHARS, codePointLength } from './limits.js';
import { recipientsProblem, splitAll, addRecipients } from './recipients.js';

/** Where the content came from: typed in the text box, or loaded as-is from a file. */
export type ContentSource = { kind: 'typed' } | { kind: 'file'; name: string; bytes: number };

/** What a draft answers: absent for a new email. */
export type ReplyKind = 'reply' | 'replyAll' | 'forward';

const REPLY_KINDS: readonly string[] = ['reply', 'replyAll', 'forward'] satisfies ReplyKind[];

export function isReplyKind(value: unknown): value is ReplyKind {
  return typeof value === 'string' && REPLY_KINDS.includes(value);
}

/** The composer's heading for a draft of that kind. */
export function composerHeading(kind: ReplyKind | undefined): string {
  if (kind === undefined) return 'New email';
  return { reply: 'Reply', replyAll: 'Reply to all', forward: 'Forward' }[kind];
}

export interface Draft {
  /** A reply, a reply to all or a forward; absent for a new email. */
  kind?: ReplyKind;
  /** It answers or forwards a sealed email: going unsealed needs a confirmation of its own. */
  sealedOrigin?: boolean;
  /** The person chose to send it unsealed (set when it goes, never while it is written). */
  sendUnsealed?: boolean;
  to: string[];
  /** Text in the recipient field not yet turned into a chip. */
  pending: string;
  title: string;
  content: string;
  source: ContentSource;
}

export function emptyDraft(): Draft {
  return { to: [], pending: '', title: '', content: '', source: { kind: 'typed' } };
}

export function isDraftEmpty(draft: Draft): boolean {
  return (
    draft.to.length === 0 &&
    draft.pending.trim() === '' &&
    draft.title === '' &&
    draft.content === ''
  );
}

export interface Count {
  used: number;
  max: number;
  /** How many characters past the limit (0 when within it). */
  over: number;
  /** 'ok', 'near' (90% and more) or 'over'. */
  level: 'ok' | 'near' | 'over';
}

/** Counts in code points, as the server does (Python's len()). */
export function countChars(text: string, max: number): Count {
  const used = codePointLength(text);
  const over = Math.max(0, used - max);
  const level = over > 0 ? 'over' : used >= max * 0.9 ? 'near' : 'ok';
  return { used, max, over, level };
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(count: Count): string {
  return `${numberFormat.format(count.used)} / ${numberFormat.format(count.max)}`;
}

/** The recipients a send would use: the chips plus whatever is still typed in the field. */
export function finalRecipients(draft: Draft): string[] {
  return addRecipients(draft.to, splitAll(draft.pending));
}

/** Why Send is disabled, in plain words; undefined when the draft can go. */
export function sendBlocker(draft: Draft): string | undefined {
  const recipients = recipientsProblem(finalRecipients(draft));
  if (recipients !== undefined) return recipients;
  if (/[\r\n]/.test(draft.title)) return 'The title must be a single line.';
  const title = countChars(draft.title, MAX_TITLE_CHARS);
  if (title.over > 0) {
    return `The title is ${numberFormat.format(title.used)} characters; the limit is ${MAX_TITLE_CHARS}. Shorten it by ${numberFormat.format(title.over)}.`;
  }
  const content = countChars(draft.content, MAX_CONTENT_CHARS);
  if (content.over > 0) {
    return `The content is ${numberFormat.format(content.over)} characters over the ${numberFormat.format(MAX_CONTENT_CHARS)} limit.`;
  }
  return undefined;
}

/** Files larger than this cannot hold 1,000,000 characters of UTF-8 text (4 bytes at most each). */
export const MAX_FILE_BYTES = MAX_CONTENT_CHARS * 4;

/**
 * Decodes a loaded file as strict UTF-8 (a leading byte-order mark is dropped, every other byte
 * kept as the file has it: line endings are not changed). Returns an error text instead of text
 * that would not survive the trip.
 */
export function decodeTextFile(bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes.byteLength > MAX_FILE_BYTES) {
    return {
      error: 'This file is too large to be the content of an email (1,000,000 characters at most).',
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      error: 'This file is not UTF-8 text. Save it as plain text (UTF-8) and load it again.',
    };
  }
  if (text.includes('\u0000')) return { error: 'This file looks binary, not text.' };
  return { text };
}
