/** Text rules shared by every end, the browser included: no Node-only imports here. */

const SURROGATE = /[\uD800-\uDFFF]/;

/** Length in Unicode code points, as Python's len() counts a str. */
export function codePointLength(text: string): number {
  // Most text has no surrogate at all, and V8 answers this without a scan for one-byte strings.
  if (!SURROGATE.test(text)) return text.length;
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

/**
 * What a terminal must never receive from another party: C0 and C1 control characters (escape
 * sequences start with them) and the bidirectional formatting characters that reorder what is
 * shown (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C). On one line, the Unicode line
 * and paragraph separators (U+2028, U+2029) too: a program that reads lines by them (a
 * JavaScript regular expression's `.` and `$` do) would see a title end half-way.
 */
const UNSAFE_ON_ONE_LINE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_TEXT =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A control character shown as a visible symbol: the Control Pictures block for C0, U+FFFD else. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return '\ufffd';
}

/** Text from another party, made safe to print on one terminal line: no control or bidi character acts. */
export function printable(text: string): string {
  return text.replace(UNSAFE_ON_ONE_LINE, visible);
}

/** As printable, keeping line breaks and tabs: for an email's content shown in a terminal. */
export function printableText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, visible);
}
