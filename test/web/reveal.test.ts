import { describe, expect, it } from 'vitest';
import { BIDI_CONTROLS, printable } from '../../protocol/text.js';
import { hasHidden, revealPieces, revealText } from '../../web/src/lib/reveal.js';

describe('revealing characters that act unseen (the web UI)', () => {
  it('shows a right-to-left override as ⟨RLO⟩ with its name, so "fdp.exe" keeps its order', () => {
    expect(revealText('Invoice for March \u202Efdp.exe')).toBe('Invoice for March ⟨RLO⟩fdp.exe');
    expect(revealText('\u202E0001$')).toBe('⟨RLO⟩0001$');
    expect(revealPieces('a\u202Eb')).toEqual([
      'a',
      { char: '\u202E', abbreviation: 'RLO', name: 'right-to-left override' },
      'b',
    ]);
  });

  it('marks every bidirectional control the terminal neutralises: one list for both', () => {
    const all = [...BIDI_CONTROLS.keys()].join('');
    expect(all).toHaveLength(12);
    for (const char of '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C')
      expect(BIDI_CONTROLS.has(char)).toBe(true);
    const revealed = revealText(all);
    expect(revealed).toBe('⟨LRE⟩⟨RLE⟩⟨PDF⟩⟨LRO⟩⟨RLO⟩⟨LRI⟩⟨RLI⟩⟨FSI⟩⟨PDI⟩⟨LRM⟩⟨RLM⟩⟨ALM⟩');
    // The terminal's printable() neutralises the same characters (as U+FFFD).
    expect(printable(all)).toBe('\uFFFD'.repeat(12));
  });

  it('marks invisible format characters, but keeps the joiners emoji and scripts need', () => {
    expect(revealText('pay\u200Bpal\u2060\uFEFF\u00AD')).toBe('pay⟨ZWSP⟩pal⟨WJ⟩⟨ZWNBSP⟩⟨SHY⟩');
    const family = '👨\u200D👩\u200D👧';
    const persian = 'می\u200Cخواهم';
    const flag = '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';
    for (const text of [family, persian, flag, 'שלום', 'é ü 😀 <b>']) {
      expect(hasHidden(text)).toBe(false);
      expect(revealText(text)).toBe(text);
    }
  });

  it('shows control characters: on one line all of them, in a text all but line breaks and tabs', () => {
    expect(revealText('a\u001b[2Jb\tc\nd\u0085')).toBe('a␛[2Jb␉c␊d⟨U+0085⟩');
    expect(revealText('a\u2028b\u2029c')).toBe('a⟨LSEP⟩b⟨PSEP⟩c');
    expect(revealText('line one\r\n\tline two\u001b\u202E', true)).toBe(
      'line one\r\n\tline two␛⟨RLO⟩',
    );
    expect(revealPieces('\u0007', true)).toEqual([
      { char: '\u0007', abbreviation: '␇', name: 'control character U+0007' },
    ]);
  });

  it('leaves a text with nothing to reveal as it is, in one piece', () => {
    expect(hasHidden('Lunch at noon?')).toBe(false);
    expect(revealPieces('Lunch at noon?')).toEqual(['Lunch at noon?']);
    expect(revealPieces('')).toEqual([]);
  });
});
