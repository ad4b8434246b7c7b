import type { EmailView } from '../../../gateway/messages.js';
import { emptyDraft, type Draft, type ReplyKind } from './compose.js';
import { MAX_CONTENT_CHARS, MAX_TITLE_CHARS, codePointLength } from './limits.js';
import { addRecipients } from './recipients.js';

export type { ReplyKind } from './compose.js';

const PREFIX = { reply: 'Re', replyAll: 'Re', forward: 'Fwd' } as const satisfies Record<
  ReplyKind,
  string
>;
const ALREADY = { Re: /^re:/i, Fwd: /^(fwd?|fw):/i } as const;

/** "Re: " or "Fwd: " once, never twice, and the whole within the title limit. */
export function prefixedTitle(prefix: 'Re' | 'Fwd', title: string): string {
  const full = ALREADY[prefix].test(title.trim()) ? title : `${prefix}: ${title}`;
  return firstCodePoints(full, MAX_TITLE_CHARS);
}

/** The first `count` characters, counted in code points as the server counts them. */
function firstCodePoints(text: string, count: number): string {
  let end = 0;
  for (let seen = 0; seen < count && end < text.length; seen++)
    end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  return text.slice(0, end);
}

/** Each line of the text behind "> ", as mail clients quote. */
export function quoteLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' || line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n');
}

/** "2026-11-20 09:00:00.000001" → "2026-11-20 09:00": the protocol's own time, to the minute. */
function shortTime(receivedAt: string): string {
  return receivedAt.slice(0, 16);
}

export interface ReplyDraft {
  draft: Partial<Draft>;
  /** The quote was cut so the content stays within the limit. */
  shortened: boolean;
}

/**
 * The draft of a reply, a reply to all or a forward: recipients, title, and the original, quoted
 * under an attribution line (a reply) or whole under a "Forwarded message" block of its headers,
 * as mail clients write them (a forward); the cursor's place (the empty lines) comes first.
 */
export function replyDraft(kind: ReplyKind, email: EmailView, me: string): ReplyDraft {
  const title = prefixedTitle(PREFIX[kind], email.title);
  const head =
    kind === 'forward'
      ? [
          '---------- Forwarded message ----------',
          `From: ${email.from}`,
          `Date: ${shortTime(email.receivedAt)}`,
          `Title: ${email.title}`,
          `To: ${email.to.join(', ')}`,
          '',
        ].join('\n')
      : `On ${shortTime(email.receivedAt)}, ${email.from} wrote:`;
  const intro = `\n\n${head}\n`;
  const { text, shortened } =
    kind === 'forward'
      ? fitQuote(intro, email.content, FORWARD_CUT_NOTE)
      : fitQuote(intro, quoteLines(email.content), CUT_NOTE);
  // A reply to one's own (sent) email goes to its recipients again, as mail clients do.
  const to =
    kind === 'forward'
      ? []
      : email.from === me
        ? [...email.to]
        : kind === 'reply'
          ? [email.from]
          : addRecipients(
              [email.from],
              email.to.filter((name) => name !== me),
            );
  const draft: Partial<Draft> = { ...emptyDraft(), kind, to, title, content: `${intro}${text}` };
  if (email.sealed) draft.sealedOrigin = true;
  return { draft, shortened };
}

const CUT_NOTE = '\n> […]';
const FORWARD_CUT_NOTE = '\n[…]';

/** The quote, cut at a line end (and `note` added) if the content would pass the limit. */
function fitQuote(
  intro: string,
  quote: string,
  note: string,
): { text: string; shortened: boolean } {
  const room = MAX_CONTENT_CHARS - codePointLength(intro);
  if (codePointLength(quote) <= room) return { text: quote, shortened: false };
  const keep = firstCodePoints(quote, room - note.length);
  const lineEnd = keep.lastIndexOf('\n');
  return { text: `${lineEnd > 0 ? keep.slice(0, lineEnd) : keep}${note}`, shortened: true };
}
