const PROTOCOL_TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/** Reads the server's "YYYY-MM-DD HH:MM:SS[.ffffff]" (its local time); undefined if it is not that. */
export function parseReceivedAt(text: string): Date | undefined {
  const match = PROTOCOL_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '0'] = match;
  const date = new Date(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Math.floor(Number(fraction.padEnd(6, '0')) / 1000),
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayInYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullDate = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
const longDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** The list's short date: the time today, the day this year, the full date before. */
export function shortDate(receivedAt: string, now: Date = new Date()): string {
  const date = parseReceivedAt(receivedAt);
  if (!date) return receivedAt;
  if (sameDay(date, now)) return timeOfDay.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayInYear.format(date);
  return fullDate.format(date);
}

/** A sentence-length date for the reading pane and screen readers. */
export function longDateText(receivedAt: string): string {
  const date = parseReceivedAt(receivedAt);
  return date ? longDate.format(date) : receivedAt;
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** "1 character", "2 characters", "1,000,000 characters". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${numberFormat.format(count)} ${count === 1 ? noun : nouns}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Up to three characters for a sender's round badge: the first letter and a trailing number
 * ("client2" → "C2"), or the first letters of two words ("ana.lopez" → "AL"), so the
 * badges of client1 … client5 are told apart at a glance.
 */
export function initials(name: string): string {
  const letterOrDigit = /[\p{L}\p{N}]/u;
  const first = letterOrDigit.exec(name)?.[0].toUpperCase();
  if (first === undefined) {
    const code = name.codePointAt(0);
    return code === undefined ? '?' : String.fromCodePoint(code);
  }
  const number = /\d{1,2}$/.exec(name)?.[0];
  if (number !== undefined && !/^\d+$/.test(name)) return `${first}${number}`;
  const words = name.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  const second = last === undefined ? '' : (letterOrDigit.exec(last)?.[0].toUpperCase() ?? '');
  return `${first}${second}`;
}

/** One of eight badge colours, the same for a name every time (classes hue-0 … hue-7 in app.css). */
export function hueClass(name: string): string {
  return `hue-${hueOf(name) % 8}`;
}

/** A stable hue (0–359) per name, so each sender keeps one badge colour. */
export function hueOf(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  return hash % 360;
}
