import { describe, expect, it } from 'vitest';
import type { InboxItem } from '../../gateway/messages.js';
import {
  DEFAULT_SORT,
  countLabel,
  isListedEmail,
  mergeInbox,
  refOf,
  rowElementId,
  SORT_CHOICES,
  sortChoice,
  sortInbox,
  step,
} from '../../web/src/lib/inbox.js';
import {
  hueClass,
  initials,
  longDateText,
  parseReceivedAt,
  shortDate,
} from '../../web/src/lib/format.js';
import { SHORTCUTS, shortcutFor } from '../../web/src/lib/shortcuts.js';
import { splitIntoChunks } from '../../web/src/lib/chunks.js';
import fc from 'fast-check';

const item = (index: number, from: string, receivedAt: string, title: string): InboxItem => ({
  index,
  from,
  receivedAt,
  title,
});

// The protocol lists oldest first; index 3 and 4 arrived in the same microsecond.
const inbox = [
  item(1, 'client2', '2026-11-20 09:00:00.000001', 'Beta'),
  item(2, 'Client1', '2026-11-21 10:30:00.5', 'alpha'),
  item(3, 'client3', '2026-11-25 08:00:00.000000', 'Gamma'),
  item(4, 'client10', '2026-11-25 08:00:00', 'delta'),
];
const indexes = (items: InboxItem[]): number[] => items.map((row) => row.index);

describe('web UI inbox sorting', () => {
  it('shows the newest first by default, ties in the protocol order reversed', () => {
    expect(DEFAULT_SORT).toEqual({ key: 'date', direction: 'desc' });
    expect(indexes(sortInbox(inbox, DEFAULT_SORT))).toEqual([4, 3, 2, 1]);
    expect(indexes(sortInbox(inbox, { key: 'date', direction: 'asc' }))).toEqual([1, 2, 3, 4]);
  });

  it('compares times with and without a fraction as times', () => {
    const items = [
      item(1, 'a', '2026-11-25 08:00:00.9', 't'),
      item(2, 'a', '2026-11-25 08:00:01', 't'),
    ];
    expect(indexes(sortInbox(items, { key: 'date', direction: 'asc' }))).toEqual([1, 2]);
  });

  it('sorts by sender and title without regard to case, numbers in number order', () => {
    expect(indexes(sortInbox(inbox, { key: 'from', direction: 'asc' }))).toEqual([2, 1, 3, 4]);
    expect(indexes(sortInbox(inbox, { key: 'from', direction: 'desc' }))).toEqual([4, 3, 1, 2]);
    expect(indexes(sortInbox(inbox, { key: 'title', direction: 'asc' }))).toEqual([2, 1, 4, 3]);
  });

  it('does not change the list it is given', () => {
    const copy = [...inbox];
    sortInbox(inbox, { key: 'title', direction: 'desc' });
    expect(inbox).toEqual(copy);
  });

  it('sorts senders and titles exactly as the collator does, quickly for plain ASCII text', () => {
    const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
    const text = fc.string({ unit: fc.constantFrom(...'aAbBzZ09 1_é-'.split('')), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), fc.boolean(), (titles, ascending) => {
        const items = titles.map((title, i) => item(i + 1, 'x', '2026-01-01 00:00:00', title));
        const direction = ascending ? 'asc' : 'desc';
        const sign = ascending ? 1 : -1;
        const expected = [...items].sort(
          (a, b) => sign * (collator.compare(a.title, b.title) || a.index - b.index),
        );
        expect(sortInbox(items, { key: 'title', direction })).toEqual(expected);
      }),
    );
  });

  it('names every order of the sort menu once', () => {
    expect(sortChoice(DEFAULT_SORT)?.label).toBe('Newest first');
    expect(new Set(SORT_CHOICES.map((choice) => `${choice.key}-${choice.direction}`)).size).toBe(6);
    for (const choice of SORT_CHOICES) expect(sortChoice(choice)).toBe(choice);
  });

  it('reports what a fresh listing adds', () => {
    const fresh = [...inbox, item(5, 'client4', '2026-11-26 04:00:00.1', 'New')];
    const { items, added } = mergeInbox(inbox, fresh);
    expect(items).toEqual(fresh);
    expect(added).toEqual([fresh[4]]);
    expect(mergeInbox(inbox, inbox).added).toEqual([]);
  });

  it('moves with j/k within the list and starts at an end', () => {
    const sorted = sortInbox(inbox, DEFAULT_SORT);
    expect(step(sorted, undefined, 1)).toBe('index-4');
    expect(step(sorted, undefined, -1)).toBe('index-1');
    expect(step(sorted, 'index-4', 1)).toBe('index-3');
    expect(step(sorted, 'index-1', 1)).toBe('index-1');
    expect(step(sorted, 'index-4', -1)).toBe('index-4');
    expect(step(sorted, 'gone', 1)).toBe('index-4');
    expect(step([], undefined, 1)).toBeUndefined();
  });

  it('names an email by its id where the session lists ids, else by its index', () => {
    expect(refOf(item(3, 'a', 'b', 'c'))).toBe('index-3');
    const withId = { ...item(3, 'a', 'b', 'c'), id: 'Zq4-_x' };
    expect(refOf(withId)).toBe('Zq4-_x');
    expect(refOf({ ...withId, index: 2 })).toBe('Zq4-_x');
    expect(step([withId], undefined, 1)).toBe('Zq4-_x');
    expect(rowElementId('Zq4-_x')).toBe('mail-Zq4-_x');
    expect(rowElementId('a b#c')).toBe('mail-a%20b%23c');
  });

  it('tells when an email read by index is not the one listed there (the indexes shifted)', () => {
    const listed = item(2, 'client1', '2026-11-21 10:30:00.5', 'alpha');
    expect(
      isListedEmail(listed, { from: 'client1', receivedAt: listed.receivedAt, title: 'alpha' }),
    ).toBe(true);
    expect(
      isListedEmail(listed, { from: 'client3', receivedAt: listed.receivedAt, title: 'alpha' }),
    ).toBe(false);
    expect(
      isListedEmail(listed, { from: 'client1', receivedAt: listed.receivedAt, title: 'beta' }),
    ).toBe(false);
    // An email the gateway could not parse comes without headers: it is shown as it is.
    expect(isListedEmail(listed, { from: '', receivedAt: '', title: '' })).toBe(true);
  });

  it('counts emails in words', () => {
    expect(countLabel(0)).toBe('0 emails');
    expect(countLabel(1)).toBe('1 email');
    expect(countLabel(1200)).toBe('1,200 emails');
  });
});

describe('web UI dates', () => {
  it('reads the protocol time as local time', () => {
    expect(parseReceivedAt('2022-07-21 19:29:35.768508')).toEqual(
      new Date(2022, 6, 21, 19, 29, 35, 768),
    );
    expect(parseReceivedAt('2022-07-21 19:29:35')).toEqual(new Date(2022, 6, 21, 19, 29, 35));
    expect(parseReceivedAt('yesterday')).toBeUndefined();
  });

  it('shows the time today, the day this year, the date before', () => {
    const now = new Date(2026, 10, 26, 12, 0, 0);
    expect(shortDate('2026-11-26 09:05:00.1', now)).toMatch(/09.05/);
    expect(shortDate('2026-07-21 19:29:35', now)).toMatch(/Jul|21/);
    expect(shortDate('2022-07-21 19:29:35', now)).toMatch(/2022/);
    expect(shortDate('not a date', now)).toBe('not a date');
    expect(longDateText('not a date')).toBe('not a date');
  });
});

describe('web UI sender badges', () => {
  it('tells client1 … client5 apart by their initials and colours', () => {
    const names = ['client1', 'client2', 'client3', 'client4', 'client5'];
    expect(names.map(initials)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5']);
    expect(new Set(names.map(hueClass)).size).toBe(5);
    expect(hueClass('client2')).toBe(hueClass('client2'));
  });

  it('uses two words or one letter otherwise', () => {
    expect(initials('ana.lopez')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('élodie')).toBe('É');
    expect(initials('42')).toBe('4');
    expect(initials('_x')).toBe('X');
    expect(initials('')).toBe('?');
  });
});

describe('web UI keyboard shortcuts', () => {
  const key = (
    k: string,
    more: Partial<Parameters<typeof shortcutFor>[0]> = {},
  ): ReturnType<typeof shortcutFor> =>
    shortcutFor({
      key: k,
      ctrlKey: false,
      metaKey: false,
      altKey: false,
      inTextField: false,
      ...more,
    });

  it('maps the keys Gmail users know; refresh is u, r replies', () => {
    const keys = [
      'c',
      'j',
      'k',
      'Enter',
      'o',
      'Escape',
      'r',
      'a',
      'f',
      'e',
      '#',
      'Delete',
      'U',
      '/',
      'u',
      'n',
      'z',
      '?',
    ];
    expect(keys.map((k) => key(k))).toEqual([
      'compose',
      'next',
      'previous',
      'open',
      'open',
      'close',
      'reply',
      'replyAll',
      'forward',
      'hide',
      'delete',
      'delete',
      'markUnread',
      'search',
      'refresh',
      'openAnnounced',
      'undo',
      'help',
    ]);
    expect(key('x')).toBeUndefined();
    expect(key('constructor')).toBeUndefined();
  });

  it('lists every action once in the help', () => {
    const actions = SHORTCUTS.map((shortcut) => shortcut.action);
    expect(new Set(actions).size).toBe(actions.length);
  });

  it('leaves typing alone: only Esc works in a text field; nothing works with Ctrl, Cmd or Alt', () => {
    expect(key('c', { inTextField: true })).toBeUndefined();
    expect(key('Enter', { inTextField: true })).toBeUndefined();
    expect(key('Escape', { inTextField: true })).toBe('close');
    expect(key('Delete', { inTextField: true })).toBeUndefined();
    expect(key('#', { inTextField: true })).toBeUndefined();
    expect(key('r', { ctrlKey: true })).toBeUndefined();
    expect(key('c', { metaKey: true })).toBeUndefined();
    expect(key('j', { altKey: true })).toBeUndefined();
  });
});

describe('web UI long text pieces', () => {
  it('joins back to the exact text and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.integer({ min: 2, max: 50 }),
        (text, size) => {
          const chunks = splitIntoChunks(text, size);
          expect(chunks.join('')).toBe(text);
          for (const chunk of chunks.slice(0, -1)) {
            expect(chunk.length).toBeLessThanOrEqual(size);
            expect(chunk.length).toBeGreaterThan(0);
            const last = chunk.charCodeAt(chunk.length - 1);
            const next = text.charCodeAt(
              chunks.slice(0, chunks.indexOf(chunk) + 1).join('').length,
            );
            expect(last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff).toBe(
              false,
            );
          }
        },
      ),
    );
  });

  it('cuts a 1,000,000-character email into 50 pieces, preferring line ends', () => {
    const text = 'x'.repeat(1_000_000);
    expect(splitIntoChunks(text)).toHaveLength(50);
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'y'.repeat(40)}`).join('\n');
    for (const chunk of splitIntoChunks(lines, 1000).slice(0, -1))
      expect(chunk.endsWith('\n')).toBe(true);
  });
});
