import { ProtocolError } from './errors.js';
import {
  MAX_CONTENT_CHARS,
  MAX_RECIPIENTS,
  MAX_TITLE_CHARS,
  MAX_USERNAME_CHARS,
} from './limits.js';
import { isSealedArmour, MAX_ARMOUR_CHARS } from './sealed/suite.js';
import { codePointLength } from './text.js';

// The browser imports the limits from here (web/src/lib/limits.ts).
export { MAX_CONTENT_CHARS, MAX_TITLE_CHARS };

export interface Email {
  from: string;
  to: string[];
  title: string;
  content: string;
}

/** An email as the server stores it (section F): the section D fields plus the receive time. */
export interface StoredEmail extends Email {
  receivedAt: string;
  contentLength: number;
}

export type EmailProblemCode =
  | 'NO_SENDER'
  | 'NO_RECIPIENTS'
  | 'BAD_RECIPIENT'
  | 'TOO_MANY_RECIPIENTS'
  | 'TITLE_TOO_LONG'
  | 'TITLE_HAS_LINE_BREAK'
  | 'CONTENT_TOO_LONG'
  | 'LENGTH_MISMATCH'
  | 'MALFORMED';

export class EmailError extends ProtocolError {
  readonly problem: EmailProblemCode;
  constructor(problem: EmailProblemCode, message: string) {
    super('INVALID_EMAIL', message, { fatal: false });
    this.problem = problem;
  }
}

/** Splits a `To` value on `;`, trimming spaces and dropping empty names. */
export function splitRecipients(value: string): string[] {
  return value
    .split(';')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}

/**
 * Returns the first problem with an email's fields, or undefined when it may be sent.
 * `contentLength` may be passed when it is known, to spare a pass over a long content.
 */
export function findEmailProblem(
  email: Email,
  contentLength = codePointLength(email.content),
  maxContentChars = MAX_CONTENT_CHARS,
): EmailError | undefined {
  if (email.from.length === 0 || /[\r\n;]/.test(email.from)) {
    return new EmailError('NO_SENDER', 'the sender is missing or not a username');
  }
  if (email.to.length === 0) return new EmailError('NO_RECIPIENTS', 'the email has no recipient');
  if (email.to.length > MAX_RECIPIENTS) {
    return new EmailError(
      'TOO_MANY_RECIPIENTS',
      `the email has ${email.to.length} recipients; the limit is ${MAX_RECIPIENTS}`,
    );
  }
  for (const name of email.to) {
    if (
      name.length === 0 ||
      name.length > MAX_USERNAME_CHARS ||
      /[\r\n;]/.test(name) ||
      name !== name.trim()
    ) {
      return new EmailError(
        'BAD_RECIPIENT',
        `"${name.slice(0, 80)}" is not a valid recipient name`,
      );
    }
  }
  const titleLength = codePointLength(email.title);
  if (titleLength > MAX_TITLE_CHARS) {
    return new EmailError(
      'TITLE_TOO_LONG',
      `the title has ${titleLength} characters; the limit is ${MAX_TITLE_CHARS}`,
    );
  }
  if (/[\r\n]/.test(email.title)) {
    return new EmailError('TITLE_HAS_LINE_BREAK', 'the title must be a single line');
  }
  if (contentLength > maxContentChars) {
    return new EmailError(
      'CONTENT_TOO_LONG',
      `the content has ${contentLength} characters; the limit is ${maxContentChars}`,
    );
  }
  return undefined;
}

/** Section D: the email as the client sends it. */
export function formatEmail(email: Email, contentLength = codePointLength(email.content)): string {
  return (
    `From: ${email.from}\n` +
    `To: ${email.to.join(';')}\n` +
    `Title: ${email.title}\n` +
    `Content Length: ${contentLength}\n` +
    `Content:\n` +
    email.content
  );
}

/** Section F: the email as the server stores it, with the time it was received. */
export function formatStoredEmail(
  email: Email,
  receivedAt: string,
  contentLength = codePointLength(email.content),
): string {
  return (
    `From: ${email.from}\n` +
    `To: ${email.to.join(';')}\n` +
    `Time and Date: ${receivedAt}\n` +
    `Title: ${email.title}\n` +
    `Content Length: ${contentLength}\n` +
    `Content:\n` +
    email.content
  );
}

/** Reads header lines one by one without splitting the (possibly 1 MB) content. */
class HeaderCursor {
  #offset = 0;
  constructor(private readonly text: string) {}

  field(labels: readonly string[]): string {
    const end = this.text.indexOf('\n', this.#offset);
    if (end < 0) throw new EmailError('MALFORMED', `missing the "${labels[0] ?? ''}" line`);
    const line = this.text.slice(this.#offset, end);
    for (const label of labels) {
      if (line.startsWith(label)) {
        this.#offset = end + 1;
        return line.slice(label.length);
      }
    }
    throw new EmailError('MALFORMED', `expected a "${labels[0] ?? ''}" line`);
  }

  rest(): string {
    return this.text.slice(this.#offset);
  }
}

function parseContentLength(value: string): number {
  const trimmed = value.trim();
  if (!/^\d{1,7}$/.test(trimmed)) {
    throw new EmailError(
      'MALFORMED',
      `"Content Length" is not a number: ${JSON.stringify(value.slice(0, 20))}`,
    );
  }
  return Number(trimmed);
}

/** Checks a parsed email; returns its content length (the declared one, now known true). */
function checkParsed(email: Email, declaredLength: number, maxContentChars: number): number {
  const actual = codePointLength(email.content);
  const problem = findEmailProblem(email, actual, maxContentChars);
  if (problem) throw problem;
  if (actual !== declaredLength) {
    throw new EmailError(
      'LENGTH_MISMATCH',
      `"Content Length" says ${declaredLength} but the content has ${actual} characters`,
    );
  }
  return actual;
}

const CONTENT_LABELS = ['Content: ', 'Content:'] as const;

/** Parses a section D email and checks its limits. Throws EmailError. */
export function parseEmail(text: string): Email {
  return parseCountedEmail(text).email;
}

/** As parseEmail, also returning the content's length, so that a 1 MB content is counted once. */
export function parseCountedEmail(text: string): { email: Email; contentLength: number } {
  const cursor = new HeaderCursor(text);
  const from = cursor.field(['From: ']);
  const to = splitRecipients(cursor.field(['To: ']));
  const title = cursor.field(['Title: ']);
  const declaredLength = parseContentLength(cursor.field(['Content Length: ']));
  const contentLine = cursor.field(CONTENT_LABELS);
  if (contentLine.trim() !== '')
    throw new EmailError('MALFORMED', 'unexpected text after "Content:"');
  const email = { from, to, title, content: cursor.rest() };
  return { email, contentLength: checkParsed(email, declaredLength, MAX_CONTENT_CHARS) };
}

/**
 * Parses a stored email (section F). Also takes the labels the sample session prints
 * ("Time and Date Received:", "Contents:"), as other implementations may store them. A sealed
 * email's content is its armoured body (protocol/sealed/), longer than a plain content may be:
 * it is held to the bound of the largest sealed email instead; its plaintext's limits are
 * checked when it is opened.
 */
export function parseStoredEmail(text: string): StoredEmail {
  const cursor = new HeaderCursor(text);
  const from = cursor.field(['From: ']);
  const to = splitRecipients(cursor.field(['To: ']));
  const receivedAt = cursor.field(['Time and Date: ', 'Time and Date Received: ']).trim();
  const title = cursor.field(['Title: ']);
  const contentLength = parseContentLength(cursor.field(['Content Length: ']));
  const contentLine = cursor.field(['Contents: ', 'Contents:', ...CONTENT_LABELS]);
  if (contentLine.trim() !== '')
    throw new EmailError('MALFORMED', 'unexpected text after "Content:"');
  const email = { from, to, title, content: cursor.rest() };
  checkParsed(
    email,
    contentLength,
    isSealedArmour(email.content) ? MAX_ARMOUR_CHARS : MAX_CONTENT_CHARS,
  );
  return { ...email, receivedAt, contentLength };
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/**
 * The receive time as Python's `str(datetime.datetime.now())` writes it: local time,
 * `YYYY-MM-DD HH:MM:SS.ffffff`, the fraction left out when it is zero.
 */
export function formatReceivedTime(epochMicros: number): string {
  const date = new Date(Math.floor(epochMicros / 1000));
  const micros = epochMicros % 1_000_000;
  const base =
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)} ` +
    `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}`;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

/** Microseconds since the epoch, from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

// A constant, not a literal in the function: about 3 times faster where V8's compilers are off
// (session processes), and an index being built takes one key per email.
const FRACTION = /\.\d+$/;

/** A sort key for receive times: Python omits a zero fraction, so add it back. */
export function receivedTimeSortKey(receivedAt: string): string {
  return FRACTION.test(receivedAt) ? receivedAt : `${receivedAt}.000000`;
}
