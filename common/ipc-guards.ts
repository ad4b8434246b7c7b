/**
 * Shape checks for the messages a parent process and its children exchange over IPC, one set
 * for both programs: the mail server's parent and session processes (mail-server/worker-protocol.ts)
 * and the gateway's main process and session children (gateway/web-bridge/child-protocol.ts).
 * A process that has gone wrong, or been taken over, can send anything: each side checks what
 * it receives before it acts on it, by hand, so that no schema library is loaded in a process
 * started for each session.
 */

/** A message's fields, once it is known to be an object. */
export type Fields = Record<string, unknown>;

export const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null;

/** A whole number from 0 up: an id, a count, a time in milliseconds. */
export const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Unicode code points in a string: a surrogate pair counts once. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/**
 * Any string, or one of at most `maxLength` code points, measured as zod's `max()` measures it
 * (the gateway's schemas and these guards must agree: test/gateway/request-bounds.test.ts). A
 * code point is one or two UTF-16 units, so only a string longer in units is counted.
 */
export const isText = (value: unknown, maxLength = Infinity): value is string =>
  typeof value === 'string' && (value.length <= maxLength || codePoints(value) <= maxLength);

/** A string that is not empty, of at most `maxLength` code points. */
export const isName = (value: unknown, maxLength = Infinity): value is string =>
  isText(value, maxLength) && value !== '';

/** An array of `min` to `max` items, each passing `isItem`. */
export const isListOf = <T>(
  value: unknown,
  isItem: (item: unknown) => item is T,
  min: number,
  max: number,
): value is T[] =>
  Array.isArray(value) &&
  value.length >= min &&
  value.length <= max &&
  value.every((item) => isItem(item));

/** One of the values listed. */
export const isOneOf = <T>(values: readonly T[], value: unknown): value is T =>
  (values as readonly unknown[]).includes(value);
