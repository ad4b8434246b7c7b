import { describe, expect, it } from 'vitest';
import type { InboxItem } from '../../gateway/messages.js';
import { findOffsets, locate } from '../../web/src/lib/find.js';
import {
  listingWithNew,
  newMailCadence,
  newMailNotice,
  newMailStatus,
} from '../../web/src/lib/new-mail.js';
import { splitIntoChunks } from '../../web/src/lib/chunks.js';
import { markOf, pruneMarks, withMarks, withoutMarks } from '../../web/src/lib/marks.js';
import {
  findRanges,
  isEmptyQuery,
  matchItem,
  parseQuery,
  segments,
} from '../../web/src/lib/search.js';
import { rowWindow, scrollToShow } from '../../web/src/lib/virtual-window.js';

const item = (index: number, from: string, receivedAt: string, title: string): InboxItem => ({
  index,
  from,
  receivedAt,
  title,
});

const lunch = item(1, 'client1', '2026-11-20 09:00:00.5', 'Lunch on Friday');
const budget = item(2, 'client2', '2026-12-01 10:00:00', 'Budget 2027');

describe('web UI read and hidden marks', () => {
  it('names an email by sender, time and title, not by its index (which changes)', () => {
    expect(markOf(lunch)).toBe(markOf({ ...lunch, index: 7 }));
    expect(markOf(lunch)).not.toBe(markOf({ ...lunch, title: 'Lunch on Saturday' }));
    expect(markOf(lunch)).not.toBe(markOf(budget));
    expect(markOf(lunch).length).toBeLessThan(20);
  });

  it('adds and removes marks without changing the set it is given', () => {
    const none = new Set<string>();
    const one = withMarks(none, [markOf(lunch)]);
    expect(none.size).toBe(0);
    expect(withoutMarks(one, [markOf(lunch)]).size).toBe(0);
  });

  it('forgets marks of emails no longer listed', () => {
    const marks = withMarks(new Set(), [markOf(lunch), markOf(budget)]);
    expect([...pruneMarks(marks, [budget])]).toEqual([markOf(budget)]);
  });
});

describe('web UI search', () => {
  it('reads words and from:, title:, date:, after:, before:, quoted phrases included', () => {
    expect(
      parseQuery(
        'lunch from:client1 title:"on Friday" date:2026-11 after:2026-01-01 before:2027-01-01',
      ),
    ).toEqual({
      words: ['lunch'],
      from: ['client1'],
      title: ['on Friday'],
      date: ['2026-11'],
      after: '2026-01-01',
      before: '2027-01-01',
    });
    expect(parseQuery('"two words" http://x')).toEqual({
      words: ['two words', 'http://x'],
      from: [],
      title: [],
      date: [],
    });
    expect(isEmptyQuery(parseQuery('   '))).toBe(true);
  });

  it('matches every word in the sender, the title or the date, and says where', () => {
    const match = matchItem(lunch, parseQuery('LUNCH client'));
    expect(match?.title).toEqual([{ start: 0, end: 5 }]);
    expect(match?.from).toEqual([{ start: 0, end: 6 }]);
    expect(matchItem(lunch, parseQuery('lunch budget'))).toBeUndefined();
    expect(matchItem(lunch, parseQuery('2026-11-20'))).toBeDefined();
  });

  it('narrows by field and by date', () => {
    expect(matchItem(lunch, parseQuery('from:client2'))).toBeUndefined();
    expect(matchItem(budget, parseQuery('from:client2'))).toBeDefined();
    expect(matchItem(lunch, parseQuery('date:2026-11'))).toBeDefined();
    expect(matchItem(budget, parseQuery('date:2026-11'))).toBeUndefined();
    expect(matchItem(budget, parseQuery('after:2026-11-30'))).toBeDefined();
    expect(matchItem(lunch, parseQuery('after:2026-11-30'))).toBeUndefined();
    expect(matchItem(lunch, parseQuery('before:2026-11-21'))).toBeDefined();
    expect(matchItem(lunch, parseQuery('before:2026-11-20'))).toBeUndefined();
  });

  it('finds words in the text of an opened email and shows a piece of it', () => {
    const body = `${'x'.repeat(100)} Shall we try the pineapple pizza?\nSee you.`;
    expect(matchItem(lunch, parseQuery('pineapple'))).toBeUndefined();
    const match = matchItem(lunch, parseQuery('pineapple'), body);
    expect(match?.snippet?.text).toBe('…we try the pineapple pizza? See you.');
    const range = match?.snippet?.ranges[0];
    expect(range && match.snippet?.text.slice(range.start, range.end)).toBe('pineapple');
  });

  it('treats search text as text, not as a pattern', () => {
    expect(findRanges('a+b (c)', ['+b (c'])).toEqual([{ start: 1, end: 6 }]);
    expect(findRanges('aaa', ['a', 'aa'])).toEqual([{ start: 0, end: 3 }]);
  });

  it('cuts a text into plain and marked pieces that join back to it', () => {
    expect(segments('Lunch on Friday', [{ start: 9, end: 15 }])).toEqual([
      { text: 'Lunch on ', mark: false },
      { text: 'Friday', mark: true },
    ]);
    expect(segments('', [])).toEqual([{ text: '', mark: false }]);
  });
});

describe('web UI virtual list', () => {
  it('keeps in the page only the rows in view and a few either side', () => {
    expect(rowWindow({ scrollTop: 0, viewportHeight: 640, rowHeight: 64, count: 10_000 })).toEqual({
      start: 0,
      end: 19,
    });
    expect(
      rowWindow({ scrollTop: 64_000, viewportHeight: 640, rowHeight: 64, count: 10_000 }),
    ).toEqual({ start: 992, end: 1019 });
    expect(
      rowWindow({ scrollTop: 640_000, viewportHeight: 640, rowHeight: 64, count: 10_000 }),
    ).toEqual({ start: 9991, end: 10_000 });
    expect(rowWindow({ scrollTop: 0, viewportHeight: 640, rowHeight: 64, count: 0 })).toEqual({
      start: 0,
      end: 0,
    });
  });

  it('scrolls only as far as needed to show a row, or puts it a third down', () => {
    expect(scrollToShow(5, 64, 0, 640)).toBeUndefined();
    expect(scrollToShow(20, 64, 0, 640)).toBe(21 * 64 - 640);
    expect(scrollToShow(2, 64, 1000, 640)).toBe(128);
    expect(scrollToShow(100, 64, 0, 600, 'center')).toBe(6400 - 200);
    expect(scrollToShow(1, 64, 500, 600, 'center')).toBe(0);
  });
});

describe('web UI find in an email', () => {
  it('finds every place, whatever the case, and locates it in the pieces', () => {
    const text = `${'a'.repeat(25_000)}Needle\n${'b'.repeat(30_000)}needle`;
    const offsets = findOffsets(text, 'NEEDLE');
    expect(offsets).toEqual([25_000, 55_007]);
    const chunks = splitIntoChunks(text);
    for (const offset of offsets) {
      const place = locate(chunks, offset);
      expect(
        place && chunks[place.chunk]?.slice(place.offset, place.offset + 6).toLowerCase(),
      ).toBe('needle');
    }
    expect(locate(chunks, text.length)).toBeUndefined();
    expect(findOffsets(text, '')).toEqual([]);
    expect(findOffsets('a.b', '.')).toEqual([1]);
  });
});

describe('web UI new mail', () => {
  it('names the sender and title of one new email and offers to open it', () => {
    expect(newMailNotice([lunch])).toEqual({
      text: 'New email from client1: Lunch on Friday',
      open: 'index-1',
    });
    expect(newMailNotice([{ ...lunch, id: 'abc' }]).open).toBe('abc');
    expect(newMailNotice([{ ...lunch, title: '' }]).text).toBe(
      'New email from client1: (no title)',
    );
    expect(newMailNotice([lunch, budget])).toEqual({ text: '2 new emails' });
  });

  it('adds only the rows not listed yet, or takes a whole listing as it is', () => {
    expect(listingWithNew([lunch], [lunch, budget], 2)).toEqual([lunch, budget]);
    expect(listingWithNew([lunch], [budget], 2)).toEqual([lunch, budget]);
    expect(listingWithNew([lunch, budget], [budget], 3)).toEqual([lunch, budget]);
  });

  it('matches rows by id where the session lists ids: a delete renumbers, an id stays', () => {
    const first = { ...lunch, id: 'first' };
    // Email 2 of 3 was deleted here: the third is still shown as index 3, the server says 2.
    const third = { ...budget, index: 3, id: 'third' };
    const fresh = { ...item(3, 'client3', '2026-12-02 10:00:00', 'Fresh'), id: 'fresh' };
    expect(listingWithNew([first, third], [fresh], 3)).toEqual([first, third, fresh]);
    expect(listingWithNew([first, third], [{ ...third, index: 2 }], 3)).toEqual([first, third]);
  });

  it('says how new mail arrives: pushed, checked every few seconds, or on request', () => {
    expect(newMailCadence(true, 10)).toMatch(/^New mail is pushed: the server tells the gateway/);
    expect(newMailCadence(false, 10)).toMatch(/checks for new mail every 10 seconds/);
    expect(newMailCadence(false, 0)).toMatch(/does not check for new mail by itself/);
    expect(newMailStatus(true, 1)).toBe('New mail shows as it arrives');
    expect(newMailStatus(false, 1)).toBe('New mail is checked every 1 second');
    expect(newMailStatus(false, 0)).toBe('New mail shows when you check (u)');
  });
});
