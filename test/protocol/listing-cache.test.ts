/**
 * The classic listing made from the last one (protocol/inbox.ts formatListingFrom), as the
 * server makes it: rows that are versions of one array, several sessions starting from each
 * other's listings. Whatever the changes (mail appended, put in the middle, removed, a column
 * widened or narrowed), its bytes are those of a listing made from scratch.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MappedArray, VersionedArray } from '../../common/shared-prefix.js';
import { FieldWriter } from '../../protocol/binary.js';
import {
  encodeRowsFrom,
  writeRow,
  type EncodedRows,
} from '../../protocol/operations/list-inbox.js';
import {
  formatInboxListing,
  formatListingFrom,
  type FormattedListing,
  type InboxRow,
} from '../../protocol/inbox.js';

type Entry = Omit<InboxRow, 'index'>;

const entry: fc.Arbitrary<Entry> = fc.record({
  from: fc.oneof(fc.constantFrom('client1', 'client2'), fc.string({ minLength: 1, maxLength: 14 })),
  receivedAt: fc.constantFrom('2026-11-26 10:00:00.000000', '2026-11-26 10:00:00'),
  title: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 8 })),
});

type Step =
  | { kind: 'append'; entries: Entry[] }
  | { kind: 'insert'; at: number; entry: Entry }
  | { kind: 'remove'; at: number }
  | { kind: 'list'; session: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), entries: fc.array(entry, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(30), entry }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(30) }),
  fc.record({ kind: fc.constant('list' as const), session: fc.nat(2) }),
  fc.record({ kind: fc.constant('list' as const), session: fc.nat(2) }),
);

/** The typed rows of a listing with ids (session version 2), encoded from scratch. */
function freshlyEncoded(rows: readonly InboxRow[]): Buffer {
  const writer = new FieldWriter();
  for (const row of rows) writeRow(writer, { ...row });
  return writer.done();
}

/** A listing made from scratch, of rows that share nothing with the server's. */
const fresh = (rows: readonly InboxRow[]): string =>
  formatInboxListing(rows.map((row) => ({ ...row })));

describe('a listing made from the last one', () => {
  it('is byte for byte the listing made from scratch, over any changes and sessions (classic and typed)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const inbox = new VersionedArray<Entry>();
        const rows = new MappedArray((value: Entry, i: number): InboxRow => ({
          ...value,
          index: i + 1,
        }));
        // As list-inbox.ts: one listing kept for the rows all sessions share; each session
        // also lists from the version it last saw (its rows may be older than the kept one).
        let kept: FormattedListing | undefined;
        let encoded: EncodedRows | undefined;
        const sessions: (readonly InboxRow[] | undefined)[] = [undefined, undefined, undefined];
        for (const change of steps.concat([{ kind: 'list', session: 0 }])) {
          const current = inbox.current;
          if (change.kind === 'append')
            inbox.replace([...current, ...change.entries], current.length);
          else if (change.kind === 'insert') {
            const at = Math.min(change.at, current.length);
            inbox.replace([...current.slice(0, at), change.entry, ...current.slice(at)], at);
          } else if (change.kind === 'remove' && current.length > 0) {
            const at = change.at % current.length;
            inbox.replace([...current.slice(0, at), ...current.slice(at + 1)], at);
          } else if (change.kind === 'list') {
            // A session whose rows were made a while ago lists them (a race with another).
            const listed = sessions[change.session] ?? rows.update(inbox.current);
            sessions[change.session] = rows.update(inbox.current);
            for (const shown of [listed, rows.update(inbox.current)]) {
              kept = formatListingFrom(kept, shown);
              expect(kept.bytes.equals(Buffer.from(fresh(shown), 'utf8'))).toBe(true);
              expect(kept.text).toBe(fresh(shown));
              expect(kept.lineEnds.at(-1) ?? kept.bytes.length).toBe(kept.bytes.length);
              encoded = encodeRowsFrom(encoded, shown);
              expect(encoded.bytes.equals(freshlyEncoded(shown))).toBe(true);
            }
          }
        }
      }),
    );
  });
});
