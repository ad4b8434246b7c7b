import {
  BIDI_CONTROLS,
  INVISIBLE_FORMATS,
  characterClass,
  visible,
  type HiddenCharacterName,
} from '../../../protocol/text.js';

/**
 * Text from another party, made safe to show: every character that would act unseen (a
 * bidirectional control, an invisible format character, a control character) becomes a visible
 * mark in its place, as the terminal client shows them, so "Invoice \u202Efdp.exe" reads
 * "Invoice ⟨RLO⟩fdp.exe" and never "Invoice exe.pdf".
 */

/** One such character, as it is shown. */
export interface RevealedCharacter extends HiddenCharacterName {
  /** The character itself (one UTF-16 unit: all of them are in the BMP). */
  readonly char: string;
}

/** A text cut into runs of plain text and the characters shown in their place. */
export type RevealedPiece = string | RevealedCharacter;

const NAMED = new Map([...BIDI_CONTROLS, ...INVISIBLE_FORMATS]);
const NAMED_CLASS = characterClass(NAMED);

// On one line every control character is marked; in a text, line breaks and tabs are kept
// (and CR, which a CRLF line end carries and the browser shows as nothing).
const ON_ONE_LINE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029${NAMED_CLASS}]`);
const IN_TEXT = new RegExp(
  `[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${NAMED_CLASS}]`,
);
const global = (pattern: RegExp): RegExp => new RegExp(pattern.source, 'g');
const ON_ONE_LINE_ALL = global(ON_ONE_LINE);
const IN_TEXT_ALL = global(IN_TEXT);

function describe(char: string): RevealedCharacter {
  const named = NAMED.get(char);
  if (named) return { char, ...named };
  const code = char.charCodeAt(0);
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  if (char === '\u2028') return { char, abbreviation: 'LSEP', name: 'line separator' };
  if (char === '\u2029') return { char, abbreviation: 'PSEP', name: 'paragraph separator' };
  // C0 as its Control Picture (␛), as the terminal shows it; C1 by its code point.
  return {
    char,
    abbreviation: code < 0x20 || code === 0x7f ? visible(char) : `U+${hex}`,
    name: `control character U+${hex}`,
  };
}

/** Whether the text has anything to reveal: most texts have not, and are shown as they are. */
export function hasHidden(text: string, lines = false): boolean {
  return (lines ? IN_TEXT : ON_ONE_LINE).test(text);
}

/** The text as runs of plain text and revealed characters; `lines` keeps line breaks and tabs. */
export function revealPieces(text: string, lines = false): RevealedPiece[] {
  const pattern = lines ? IN_TEXT_ALL : ON_ONE_LINE_ALL;
  const pieces: RevealedPiece[] = [];
  let from = 0;
  for (const found of text.matchAll(pattern)) {
    if (found.index > from) pieces.push(text.slice(from, found.index));
    pieces.push(describe(found[0]));
    from = found.index + 1;
  }
  if (from < text.length) pieces.push(text.slice(from));
  return pieces;
}

/** How a revealed character reads in plain text: ⟨RLO⟩ (a Control Picture stands alone). */
export function markText(piece: RevealedCharacter): string {
  return piece.abbreviation.length === 1 ? piece.abbreviation : `⟨${piece.abbreviation}⟩`;
}

/** The text with each such character written out, for where only a string fits (an attribute). */
export function revealText(text: string, lines = false): string {
  if (!hasHidden(text, lines)) return text;
  return revealPieces(text, lines)
    .map((piece) => (typeof piece === 'string' ? piece : markText(piece)))
    .join('');
}
