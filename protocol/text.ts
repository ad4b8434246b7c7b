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

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Makes text safe to print on one terminal line: control characters become visible symbols. */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARS, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

export function hasControlChars(text: string): boolean {
  CONTROL_CHARS.lastIndex = 0;
  const found = CONTROL_CHARS.test(text);
  CONTROL_CHARS.lastIndex = 0;
  return found;
}
