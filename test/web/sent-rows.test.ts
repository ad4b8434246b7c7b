import { describe, expect, it } from 'vitest';
import type { SentEmailView, SentItem } from '../../gateway/messages.js';
import { replyDraft } from '../../web/src/lib/quote.js';
import { sentAsEmail, sentRows } from '../../web/src/lib/sent-rows.js';

const item = (id: string, to: string[], title: string, sentAt: string): SentItem => ({
  id,
  to,
  title,
  sentAt,
  contentLength: 0,
  protocol: 'enhanced',
  server: '127.0.0.1:13001',
});

// Newest first, as SentState keeps them.
const SENT = [
  item('c', ['client2', 'client3'], 'Picnic', '2026-12-07 10:02:00.000000'),
  item('b', ['client3'], 'Agenda', '2026-12-07 10:01:00.000000'),
  item('a', ['client2'], 'Budget for March', '2026-12-07 10:00:00.000000'),
];
const titles = (rows: ReturnType<typeof sentRows>): string[] => rows.map((row) => row.item.title);

describe('Sent, sorted and searched as the inbox is', () => {
  it('sorts by time, title and recipients', () => {
    expect(titles(sentRows(SENT, '', { key: 'date', direction: 'desc' }))).toEqual([
      'Picnic',
      'Agenda',
      'Budget for March',
    ]);
    expect(titles(sentRows(SENT, '', { key: 'date', direction: 'asc' }))).toEqual([
      'Budget for March',
      'Agenda',
      'Picnic',
    ]);
    expect(titles(sentRows(SENT, '', { key: 'title', direction: 'asc' }))).toEqual([
      'Agenda',
      'Budget for March',
      'Picnic',
    ]);
    expect(titles(sentRows(SENT, '', { key: 'from', direction: 'asc' }))).toEqual([
      'Budget for March',
      'Picnic',
      'Agenda',
    ]);
  });

  it('searches words, recipients (from:) and titles, with where they matched', () => {
    const sort = { key: 'date', direction: 'desc' } as const;
    const [budget] = sentRows(SENT, 'march', sort);
    expect(budget?.item.id).toBe('a');
    expect(budget?.match?.title).toEqual([{ start: 11, end: 16 }]);
    expect(titles(sentRows(SENT, 'from:client3', sort))).toEqual(['Picnic', 'Agenda']);
    expect(titles(sentRows(SENT, 'title:agenda from:client2', sort))).toEqual([]);
  });

  it('replies to a sent email’s recipients, and forwards it with its headers', () => {
    const email: SentEmailView = { ...SENT[0], content: 'Saturday at noon.' } as SentEmailView;
    const asEmail = sentAsEmail(email, 'client1');
    expect(replyDraft('reply', asEmail, 'client1').draft.to).toEqual(['client2', 'client3']);
    expect(replyDraft('replyAll', asEmail, 'client1').draft.to).toEqual(['client2', 'client3']);
    const forward = replyDraft('forward', asEmail, 'client1').draft;
    expect(forward.to).toEqual([]);
    expect(forward.content).toContain('From: client1\n');
    expect(forward.title).toBe('Fwd: Picnic');
  });
});
