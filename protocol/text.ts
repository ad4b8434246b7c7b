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

/** A character that acts on the text around it without being seen, and what to call it. */
export interface HiddenCharacterName {
  /** The short name Unicode gives it (RLO), shown in its place. */
  readonly abbreviation: string;
  /** Its name in words, for a screen reader and a tooltip. */
  readonly name: string;
}

/**
 * The bidirectional formatting characters: each reorders what is shown around it (U+202E makes
 * "fdp.exe" read "exe.pdf") while staying invisible. The one list every client neutralises.
 */
export const BIDI_CONTROLS: ReadonlyMap<string, HiddenCharacterName> = new Map(
  (
    [
      ['\u202a', 'LRE', 'left-to-right embedding'],
      ['\u202b', 'RLE', 'right-to-left embedding'],
      ['\u202c', 'PDF', 'pop directional formatting'],
      ['\u202d', 'LRO', 'left-to-right override'],
      ['\u202e', 'RLO', 'right-to-left override'],
      ['\u2066', 'LRI', 'left-to-right isolate'],
      ['\u2067', 'RLI', 'right-to-left isolate'],
      ['\u2068', 'FSI', 'first strong isolate'],
      ['\u2069', 'PDI', 'pop directional isolate'],
      ['\u200e', 'LRM', 'left-to-right mark'],
      ['\u200f', 'RLM', 'right-to-left mark'],
      ['\u061c', 'ALM', 'Arabic letter mark'],
    ] as const
  ).map(([char, abbreviation, name]) => [char, { abbreviation, name }]),
);

/**
 * Invisible format characters that reorder nothing but hide in a text: "pay\u200Bpal" looks
 * like "paypal". A display that can mark them shows them too. Not here: the zero-width joiner
 * and non-joiner (emoji sequences and Persian or Indic words need them) and variation selectors.
 */
export const INVISIBLE_FORMATS: ReadonlyMap<string, HiddenCharacterName> = new Map(
  (
    [
      ['\u00ad', 'SHY', 'soft hyphen'],
      ['\u180e', 'MVS', 'Mongolian vowel separator'],
      ['\u200b', 'ZWSP', 'zero width space'],
      ['\u2060', 'WJ', 'word joiner'],
      ['\u2061', 'FA', 'function application'],
      ['\u2062', 'IT', 'invisible times'],
      ['\u2063', 'IS', 'invisible separator'],
      ['\u2064', 'IP', 'invisible plus'],
      ['\u206a', 'ISS', 'inhibit symmetric swapping'],
      ['\u206b', 'ASS', 'activate symmetric swapping'],
      ['\u206c', 'IAFS', 'inhibit Arabic form shaping'],
      ['\u206d', 'AAFS', 'activate Arabic form shaping'],
      ['\u206e', 'NADS', 'national digit shapes'],
      ['\u206f', 'NODS', 'nominal digit shapes'],
      ['\ufeff', 'ZWNBSP', 'zero width no-break space'],
      ['\ufff9', 'IAA', 'interlinear annotation anchor'],
      ['\ufffa', 'IAS', 'interlinear annotation separator'],
      ['\ufffb', 'IAT', 'interlinear annotation terminator'],
    ] as const
  ).map(([char, abbreviation, name]) => [char, { abbreviation, name }]),
);

/** The characters of a map as the inside of a regular expression's class ("\u202a\u202b…"). */
export function characterClass(characters: ReadonlyMap<string, unknown>): string {
  return [...characters.keys()]
    .map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .join('');
}

/**
 * What a terminal must never receive from another party: C0 and C1 control characters (escape
 * sequences start with them) and the bidirectional formatting characters that reorder what is
 * shown (BIDI_CONTROLS). On one line, the Unicode line and paragraph separators (U+2028,
 * U+2029) too: a program that reads lines by them (a JavaScript regular expression's `.` and
 * `$` do) would see a title end half-way.
 */
const UNSAFE_ON_ONE_LINE = new RegExp(
  `[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029${characterClass(BIDI_CONTROLS)}]`,
  'g',
);
const UNSAFE_IN_TEXT = new RegExp(
  `[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${characterClass(BIDI_CONTROLS)}]`,
  'g',
);

/** A control character shown as a visible symbol: the Control Pictures block for C0, U+FFFD else. */
export function visible(char: string): string {
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
