import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EmailError,
  formatEmail,
  parseEmail,
  parseStoredEmail,
  type Email,
} from '../../protocol/email.js';
import {
  formatInboxListing,
  formatListingFrom,
  parseInboxListing,
  type InboxRow,
} from '../../protocol/inbox.js';
import { codePointLength } from '../../protocol/text.js';
import { decodeUtf8 } from '../../protocol/utf8.js';
import { isProtocolError } from '../../protocol/errors.js';
import { parseRequest } from '../../gateway/web-bridge/request-parser.js';

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);
const title = fc
  .string({ unit: 'grapheme', maxLength: 100 })
  .filter((text) => !/[\r\n]/.test(text) && codePointLength(text) <= 100);
const email: fc.Arbitrary<Email> = fc.record({
  from: name,
  to: fc.array(name, { minLength: 1, maxLength: 5 }),
  title,
  content: fc.string({ unit: 'binary', maxLength: 2000 }),
});

describe('parsers under arbitrary input (fast-check)', () => {
  it('an email round-trips through its section D form', () => {
    fc.assert(
      fc.property(email, (value) => {
        expect(parseEmail(formatEmail(value))).toEqual(value);
      }),
    );
  });

  it('the email parsers only ever return an email or throw EmailError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          email.map(formatEmail).map((text) => text.slice(0, text.length - 1)),
        ),
        (text) => {
          for (const parse of [parseEmail, parseStoredEmail]) {
            try {
              parse(text);
            } catch (error) {
              expect(error).toBeInstanceOf(EmailError);
            }
          }
        },
      ),
    );
  });

  it('a listing round-trips and arbitrary text never breaks the listing parser', () => {
    const row = fc.record({
      from: name,
      receivedAt: fc
        .date({ min: new Date(2000, 0, 1), max: new Date(2099, 0, 1), noInvalidDate: true })
        .map((date) => date.toISOString().replace('T', ' ').replace('Z', '000')),
      title: title.filter((text) => text.trim() === text || text.length === 0),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const indexed = rows.map((value, i) => ({ ...value, index: i + 1 }));
        const parsed = parseInboxListing(formatInboxListing(indexed));
        // Control characters are shown as visible symbols in a listing; compare the rest.
        expect(parsed.map((value) => value.index)).toEqual(indexed.map((value) => value.index));
        expect(parsed.map((value) => value.receivedAt)).toEqual(
          indexed.map((value) => value.receivedAt),
        );
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(Array.isArray(parseInboxListing(text))).toBe(true);
      }),
    );
  });

  it('a listing made from the previous one is the listing made from scratch, whatever was appended', () => {
    const row = fc.record({
      from: name,
      receivedAt: fc.constant('2026-11-26 10:00:00.000000'),
      title: fc.oneof(title, fc.string({ maxLength: 60 })),
    });
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 12 }),
        fc.array(fc.array(row, { maxLength: 6 }), { maxLength: 4 }),
        (first, appended) => {
          let rows: InboxRow[] = first.map((value, i) => ({ ...value, index: i + 1 }));
          let listing = formatListingFrom(undefined, rows);
          expect(listing.text).toBe(formatInboxListing(rows));
          for (const more of appended) {
            // The same row objects first, as a session's listing keeps them.
            rows = rows.concat(more.map((value, i) => ({ ...value, index: rows.length + i + 1 })));
            listing = formatListingFrom(listing, rows);
            expect(listing.text).toBe(formatInboxListing(rows));
          }
          // Rows that are not the same objects are formatted from scratch.
          const copies = rows.map((value) => ({ ...value, title: `${value.title}!` }));
          expect(formatListingFrom(listing, copies).text).toBe(formatInboxListing(copies));
        },
      ),
    );
  });

  it('strict UTF-8: valid text round-trips, invalid bytes give BAD_UTF8, a BOM is kept', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const wellFormed = Buffer.from(text, 'utf8').toString('utf8');
        expect(decodeUtf8(Buffer.from(wellFormed, 'utf8'))).toBe(wellFormed);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeUtf8(bytes);
        } catch (error) {
          expect(isProtocolError(error, 'BAD_UTF8')).toBe(true);
        }
      }),
    );
    expect(decodeUtf8(Buffer.from('\ufeffhi', 'utf8'))).toBe('\ufeffhi');
    expect(() => decodeUtf8(Buffer.from([0xc3]))).toThrow(/not valid UTF-8/);
    expect(() => decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toThrow(/not valid UTF-8/);
  });

  it('gateway message validation gives a typed error for any JSON or bytes, never a crash', () => {
    const codes = new Set(['BAD_REQUEST', 'INVALID_EMAIL', 'TOO_LARGE']);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string({ unit: 'binary' }),
        ),
        fc.boolean(),
        (text, binary) => {
          const parsed = parseRequest(Buffer.from(text, 'utf8'), binary);
          if (!parsed.ok) expect(codes.has(parsed.error.code)).toBe(true);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            type: fc.constantFrom('signIn', 'listInbox', 'read', 'send', 'signOut'),
            id: fc.oneof(fc.integer(), fc.string()),
            index: fc.anything(),
            to: fc.anything(),
            title: fc.anything(),
            content: fc.anything(),
          },
          { requiredKeys: ['type'] },
        ),
        (value) => {
          const parsed = parseRequest(Buffer.from(JSON.stringify(value), 'utf8'), false);
          if (!parsed.ok) expect(codes.has(parsed.error.code)).toBe(true);
        },
      ),
    );
  });
});
