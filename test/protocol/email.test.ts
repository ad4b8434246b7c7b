import { describe, expect, it } from 'vitest';
import {
  findEmailProblem,
  formatEmail,
  formatReceivedTime,
  formatStoredEmail,
  parseEmail,
  parseStoredEmail,
  receivedTimeSortKey,
  splitRecipients,
  type EmailError,
} from '../../protocol/email.js';
import { codePointLength } from '../../protocol/text.js';
import { formatInboxListing, parseInboxListing } from '../../protocol/inbox.js';

const base = {
  from: 'client1',
  to: ['client2', 'client4'],
  title: 'Test',
  content: 'Welcome to CMPT 361 class.',
};
const problemOf = (email: typeof base): string | undefined => findEmailProblem(email)?.problem;

describe('email format (sections D and F)', () => {
  it('writes section D exactly', () => {
    expect(formatEmail(base)).toBe(
      'From: client1\nTo: client2;client4\nTitle: Test\nContent Length: 26\nContent:\nWelcome to CMPT 361 class.',
    );
  });

  it('parses what it writes, and "Content: " with a trailing space', () => {
    expect(parseEmail(formatEmail(base))).toEqual(base);
    const spaced = formatEmail(base).replace('Content:\n', 'Content: \n');
    expect(parseEmail(spaced)).toEqual(base);
  });

  it('splits recipients on ";" and trims spaces', () => {
    expect(splitRecipients(' client2 ; client4;;client5 ')).toEqual([
      'client2',
      'client4',
      'client5',
    ]);
    expect(
      parseEmail(formatEmail(base).replace('To: client2;client4', 'To: client2 ; client4')).to,
    ).toEqual(['client2', 'client4']);
  });

  it('counts code points as Python does, not UTF-16 units', () => {
    expect(codePointLength('😀')).toBe(1);
    expect('😀'.length).toBe(2);
    expect(codePointLength('a😀é\u{10FFFF}')).toBe(4);
    expect(codePointLength('\ud800')).toBe(1); // a lone surrogate is one unit
  });

  it('takes a 100-character title and refuses 101, emoji counted once', () => {
    expect(problemOf({ ...base, title: '😀'.repeat(100) })).toBeUndefined();
    expect(problemOf({ ...base, title: '😀'.repeat(101) })).toBe('TITLE_TOO_LONG');
    expect(problemOf({ ...base, title: 'x'.repeat(101) })).toBe('TITLE_TOO_LONG');
  });

  it('takes 1,000,000 characters of content and refuses 1,000,001, emoji counted once', () => {
    expect(problemOf({ ...base, content: '😀'.repeat(1_000_000) })).toBeUndefined();
    expect(problemOf({ ...base, content: '😀'.repeat(1_000_001) })).toBe('CONTENT_TOO_LONG');
    const emoji = { ...base, content: '😀'.repeat(1_000_000) };
    const text = formatEmail(emoji);
    expect(text).toContain('Content Length: 1000000\n');
    expect(parseEmail(text).content).toBe(emoji.content);
  });

  it('refuses a Content Length that lies', () => {
    const lying = formatEmail(base).replace('Content Length: 26', 'Content Length: 25');
    expect(() => parseEmail(lying)).toThrow(/says 25 but the content has 26/);
    try {
      parseEmail(lying);
    } catch (error) {
      expect((error as EmailError).problem).toBe('LENGTH_MISMATCH');
    }
  });

  it('refuses malformed emails with a clear reason', () => {
    expect(() => parseEmail('hello')).toThrow(/From/);
    expect(() => parseEmail('From: a\nTo: b\nTitle: t\nContent Length: x\nContent:\n')).toThrow(
      /not a number/,
    );
    expect(() => parseEmail('From: a\nTo: \nTitle: t\nContent Length: 0\nContent:\n')).toThrow(
      /no recipient/,
    );
    expect(() =>
      parseEmail('From: a\nTo: b\nTitle: t\nContent Length: 0\nContents are here\n'),
    ).toThrow(/Content/);
  });

  it('keeps newlines and any character inside the content', () => {
    const content = 'line 1\nFrom: forged\r\n\u0000\ufeff end\n';
    const email = { ...base, content };
    expect(parseEmail(formatEmail(email)).content).toBe(content);
  });

  it('writes and reads the stored form with its receive time', () => {
    const stored = formatStoredEmail(base, '2022-07-21 19:29:42.118132');
    expect(stored).toBe(
      'From: client1\nTo: client2;client4\nTime and Date: 2022-07-21 19:29:42.118132\nTitle: Test\n' +
        'Content Length: 26\nContent:\nWelcome to CMPT 361 class.',
    );
    expect(parseStoredEmail(stored)).toEqual({
      ...base,
      receivedAt: '2022-07-21 19:29:42.118132',
      contentLength: 26,
    });
    // The labels of the sample session's display are read too.
    const sample = stored
      .replace('Time and Date:', 'Time and Date Received:')
      .replace('Content:\n', 'Contents:\n');
    expect(parseStoredEmail(sample).receivedAt).toBe('2022-07-21 19:29:42.118132');
  });

  it("formats the receive time as Python's str(datetime.now())", () => {
    const micros = new Date(2022, 6, 21, 19, 29, 35).getTime() * 1000 + 768508;
    expect(formatReceivedTime(micros)).toBe('2022-07-21 19:29:35.768508');
    expect(formatReceivedTime(micros - 768508)).toBe('2022-07-21 19:29:35');
    expect(formatReceivedTime(micros - 768508 + 5)).toBe('2022-07-21 19:29:35.000005');
    expect(
      receivedTimeSortKey('2022-07-21 19:29:35') <
        receivedTimeSortKey('2022-07-21 19:29:35.000005'),
    ).toBe(true);
  });
});

describe('inbox listing (section G)', () => {
  const rows = [
    { index: 1, from: 'client2', receivedAt: '2022-07-21 19:29:35.768508', title: 'Test2' },
    {
      index: 2,
      from: 'client1',
      receivedAt: '2022-07-21 19:29:42.118132',
      title: '  spaced title',
    },
  ];

  it("has the sample's columns, aligned", () => {
    const text = formatInboxListing(rows);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Index\s+From\s+DateTime\s+Title$/);
    expect(lines[1]).toMatch(/^1\s+client2\s+2022-07-21 19:29:35\.768508\s+Test2$/);
    expect(lines[0]?.indexOf('Title')).toBe(lines[1]?.indexOf('Test2'));
    expect(text.endsWith('\n')).toBe(true);
  });

  it('reads back its own rows, keeping leading spaces of a title', () => {
    expect(parseInboxListing(formatInboxListing(rows))).toEqual(rows);
  });

  it("reads the sample's own (misaligned) table", () => {
    const sample =
      'Index  From      DateTime                      Title\n' +
      '1      client2    2022-07-21 19:29:35.768508  Test2\n' +
      '2      client1    2022-07-21 19:29:42.118132  Test\n';
    expect(parseInboxListing(sample)).toEqual([
      { index: 1, from: 'client2', receivedAt: '2022-07-21 19:29:35.768508', title: 'Test2' },
      { index: 2, from: 'client1', receivedAt: '2022-07-21 19:29:42.118132', title: 'Test' },
    ]);
  });

  it('lists an inbox of 250,000 emails (too many rows to spread as arguments)', () => {
    const many = Array.from({ length: 250_000 }, (_, i) => ({
      index: i + 1,
      from: 'client1',
      receivedAt: '2024-01-01 00:00:00.000001',
      title: `email ${i + 1}`,
    }));
    const parsed = parseInboxListing(formatInboxListing(many));
    expect(parsed).toHaveLength(250_000);
    expect(parsed.at(-1)).toEqual(many.at(-1));
  });

  it('says when the inbox is empty', () => {
    expect(formatInboxListing([])).toBe('Your inbox is empty.\n');
    expect(parseInboxListing(formatInboxListing([]))).toEqual([]);
  });

  it('shows control characters in a title as visible symbols on one line', () => {
    const text = formatInboxListing([
      { index: 1, from: 'client2', receivedAt: '2022-07-21 19:29:35', title: 'a\tb\u0007c' },
    ]);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('a\u2409b\u2407c');
  });

  it('never loses a row to a title holding a Unicode line separator (U+2028, U+2029)', () => {
    const rows = [
      { index: 1, from: 'client2', receivedAt: '2022-07-21 19:29:35', title: '! \u2028!' },
      { index: 2, from: 'client3', receivedAt: '2022-07-21 19:29:36', title: 'a\u2029b' },
    ];
    // Ours shows them as U+FFFD on the line; another server's listing may carry them raw.
    expect(parseInboxListing(formatInboxListing(rows)).map((row) => row.title)).toEqual([
      '! \ufffd!',
      'a\ufffdb',
    ]);
    const raw = 'Index From DateTime Title\n1 client2 2022-07-21 19:29:35 ! \u2028!\n';
    expect(parseInboxListing(raw)).toEqual([
      { index: 1, from: 'client2', receivedAt: '2022-07-21 19:29:35', title: '! \u2028!' },
    ]);
  });
});
