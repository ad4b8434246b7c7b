/**
 * UTS #39 skeletons and look-alike names (protocol/skeleton.ts): the rows of Unicode's table
 * that matter for usernames, the section 4 algorithm's normalisation, the folds added beyond it,
 * and properties over generated names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFUSABLES_BY_PROTOTYPE } from '../../protocol/confusables.js';
import { lookalikeKey, lookalikeOf, lookalikePairs, skeleton } from '../../protocol/skeleton.js';

const username = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
/** Characters that make look-alikes, and a few that never do, to build names from. */
const tricky = fc.constantFrom(
  ...'0OoIl1|imrnwvvdcl.-_aA\u0430\u043E\u0456\u0131\u217C\u2160\uFF49\u0301'.split(''),
);
const trickyName = fc.array(tricky, { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''));

describe('skeleton (UTS #39, section 4)', () => {
  it('maps exactly the username characters Unicode maps: 0→O, 1→l, I→l, m→rn', () => {
    const mapped = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-')
      .filter((char) => skeleton(char) !== char)
      .map((char) => `${char}→${skeleton(char)}`);
    expect(mapped).toEqual(['I→l', 'm→rn', '0→O', '1→l']);
  });

  it('makes cIient1, client1 and c1ient1 one skeleton, and Cyrillic look-alikes too', () => {
    expect(skeleton('cIient1')).toBe('clientl');
    expect(skeleton('client1')).toBe('clientl');
    expect(skeleton('c1ient1')).toBe('clientl');
    // Cyrillic es (U+0441) and Latin small i from Cyrillic byelorussian-ukrainian i (U+0456).
    expect(skeleton('\u0441l\u0456ent1')).toBe('clientl');
    expect(skeleton('admin')).toBe('adrnin');
  });

  it('normalises to NFD before and after mapping', () => {
    // é precomposed and decomposed have one skeleton.
    expect(skeleton('caf\u00E9')).toBe(skeleton('cafe\u0301'));
    expect(skeleton('caf\u00E9')).toBe('cafe\u0301');
  });

  it('is idempotent, and its output has no source character of the table', () => {
    const sources = new Set(CONFUSABLES_BY_PROTOTYPE.flatMap(([, chars]) => Array.from(chars)));
    fc.assert(
      fc.property(fc.oneof(trickyName, fc.string({ unit: 'grapheme', maxLength: 20 })), (text) => {
        const once = skeleton(text);
        expect(skeleton(once)).toBe(once);
        expect(Array.from(once).some((char) => sources.has(char))).toBe(false);
      }),
    );
  });

  it('leaves a name of letters that Unicode does not map as it is', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-hj-ln-zA-HJ-Z2-9._-]{1,20}$/), (name) => {
        expect(skeleton(name)).toBe(name);
      }),
    );
  });
});

describe('look-alike names', () => {
  it('folds case, w as vv and d as cl beyond UTS #39', () => {
    expect(lookalikeKey('Client1')).toBe(lookalikeKey('client1'));
    expect(lookalikeKey('vvalter')).toBe(lookalikeKey('walter'));
    expect(lookalikeKey('clave')).toBe(lookalikeKey('dave'));
    expect(lookalikeKey('rnary')).toBe(lookalikeKey('mary'));
    expect(lookalikeKey('B0B')).toBe(lookalikeKey('bob'));
    expect(lookalikeKey('client2')).not.toBe(lookalikeKey('client1'));
  });

  it('names the known name a sender looks like, never the sender itself', () => {
    const known = ['client1', 'client2', 'client3'];
    expect(lookalikeOf('cIient1', known)).toBe('client1');
    expect(lookalikeOf('client1', known)).toBeUndefined();
    expect(lookalikeOf('client4', known)).toBeUndefined();
    expect(lookalikeOf('c1ient2', known)).toBe('client2');
  });

  it('a name and any of its look-alike spellings are paired; distinct keys never are', () => {
    const spell = { l: ['l', 'I', '1'], o: ['o', 'O', '0'], m: ['m', 'rn'] } as const;
    const respelled = fc
      .array(fc.constantFrom('l', 'o', 'm', 'a', 'x'), { minLength: 1, maxLength: 10 })
      .chain((letters) =>
        fc
          .tuple(
            ...letters.map((letter) =>
              letter in spell
                ? fc.constantFrom(...spell[letter as keyof typeof spell])
                : fc.constant(letter),
            ),
          )
          .map((parts) => [`q${letters.join('')}`, `q${parts.join('')}`] as const),
      );
    fc.assert(
      fc.property(respelled, ([name, other]) => {
        expect(lookalikeKey(other)).toBe(lookalikeKey(name));
        if (other !== name) expect(lookalikePairs([name, other])).toEqual([[name, other]]);
      }),
    );
    fc.assert(
      fc.property(username, username, (a, b) => {
        const pairs = lookalikePairs([a, b]);
        expect(pairs.length === 1).toBe(a !== b && lookalikeKey(a) === lookalikeKey(b));
      }),
    );
  });
});
