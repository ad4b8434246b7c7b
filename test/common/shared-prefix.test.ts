/**
 * Versions of an array and the prefix two of them share (common/shared-prefix.ts): what a
 * listing made from a cache relies on. The prefix it tells must never be longer than the one
 * the two arrays really share, whatever changes came between them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MappedArray, sharedPrefix, VersionedArray } from '../../common/shared-prefix.js';

interface Item {
  n: number;
}

type Change =
  | { kind: 'append'; count: number }
  | { kind: 'insert'; at: number }
  | { kind: 'remove'; at: number }
  | { kind: 'replaceAll' }
  | { kind: 'none' };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(40) }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(40) }),
  fc.record({ kind: fc.constant('replaceAll' as const) }),
  fc.record({ kind: fc.constant('none' as const) }),
);

let made = 0;
const item = (): Item => ({ n: made++ });

/** The next version of `rows` after `change`, and where it first differs. */
function applied(rows: readonly Item[], step: Change): { next: Item[]; from: number } {
  const next = rows.slice();
  switch (step.kind) {
    case 'append':
      for (let i = 0; i < step.count; i++) next.push(item());
      return { next, from: rows.length };
    case 'insert': {
      const at = Math.min(step.at, rows.length);
      next.splice(at, 0, item());
      return { next, from: at };
    }
    case 'remove': {
      if (rows.length === 0) return { next, from: 0 };
      const at = step.at % rows.length;
      next.splice(at, 1);
      return { next, from: at };
    }
    case 'replaceAll':
      return { next: rows.map(() => item()), from: 0 };
    case 'none':
      return { next, from: rows.length };
  }
}

function reallyShared<T>(a: readonly T[], b: readonly T[]): number {
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  return same;
}

describe('shared prefixes of versions', () => {
  it('never tells a longer prefix than two versions share, and as long a one as their changes leave', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
        const versions = new VersionedArray<Item>();
        const seen: { rows: readonly Item[]; from: number }[] = [
          { rows: versions.current, from: 0 },
        ];
        for (const step of changes) {
          const { next, from } = applied(versions.current, step);
          seen.push({ rows: versions.replace(next, from), from });
        }
        for (let i = 0; i < seen.length; i++) {
          for (let j = i; j < seen.length; j++) {
            const a = seen[i]?.rows ?? [];
            const b = seen[j]?.rows ?? [];
            const told = sharedPrefix(a, b);
            expect(told).toBeLessThanOrEqual(reallyShared(a, b));
            expect(sharedPrefix(b, a)).toBe(told);
            // No shorter than the least first change between them (nothing is compared).
            let least = Math.min(a.length, b.length);
            for (let k = i + 1; k <= j; k++) least = Math.min(least, seen[k]?.from ?? 0);
            expect(told).toBe(least);
          }
        }
      }),
    );
  });

  it('compares arrays that are not versions of one, element by element', () => {
    const [a, b, c] = [item(), item(), item()];
    expect(sharedPrefix([a, b, c], [a, b])).toBe(2);
    expect(sharedPrefix([a, b], [a, c])).toBe(1);
    expect(sharedPrefix([], [a])).toBe(0);
  });

  it('compares versions too far apart (beyond what it remembers) element by element', () => {
    const versions = new VersionedArray<Item>();
    const first = versions.replace([item(), item()], 0);
    for (let i = 0; i < 300; i++) versions.replace([...versions.current, item()], Infinity);
    expect(sharedPrefix(first, versions.current)).toBe(2);
    expect(() => versions.replace(first, 0)).toThrow();
  });

  it('a mapped array is the source mapped, made again only from the first change on', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        const versions = new VersionedArray<Item>();
        let calls = 0;
        const mapped = new MappedArray((source: Item, index: number) => {
          calls++;
          return { n: source.n, index };
        });
        let before = mapped.update(versions.current);
        for (const step of changes) {
          const { next, from } = applied(versions.current, step);
          const source = versions.replace(next, from);
          calls = 0;
          const after = mapped.update(source);
          expect(after.map(({ n, index }) => [n, index])).toEqual(source.map(({ n }, i) => [n, i]));
          const kept = Math.min(from, before.length, after.length);
          expect(calls).toBe(source.length - kept);
          expect(reallyShared(before, after)).toBeGreaterThanOrEqual(kept);
          expect(mapped.update(source)).toBe(after);
          before = after;
        }
      }),
    );
  });
});
