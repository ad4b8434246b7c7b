/**
 * The protocol's limits and its way of counting, for the browser. They mirror protocol/email.ts
 * and protocol/text.ts rather than import them: those modules now load Node's buffer module,
 * which a browser bundle must not carry. test/web-compose.test.ts holds the two to the same
 * values and the same counts, so they cannot drift apart.
 */

/** Section D: the title's and the content's limits, in Unicode code points. */
export const MAX_TITLE_CHARS = 100;
export const MAX_CONTENT_CHARS = 1_000_000;

/** The gateway's username rule (gateway/messages.ts): 1 to 64 characters. */
export const MAX_USERNAME_CHARS = 64;
/** The gateway takes at most this many recipients in one send. */
export const MAX_RECIPIENTS = 100;

/** Length in Unicode code points, as the server counts (Python's len()); a lone surrogate is one. */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}
