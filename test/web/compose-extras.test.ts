import { describe, expect, it } from 'vitest';
import type { EmailView } from '../../gateway/messages.js';
import { composerHeading, emptyDraft } from '../../web/src/lib/compose.js';
import { addContacts, suggestContacts, unknownRecipients } from '../../web/src/lib/contacts.js';
import {
  draftsAfterRemove,
  draftsAfterSave,
  newSavedDraft,
  parseDrafts,
  sortDrafts,
} from '../../web/src/lib/drafts.js';
import { codePointLength } from '../../web/src/lib/limits.js';
import { prefixedTitle, quoteLines, replyDraft } from '../../web/src/lib/quote.js';

const email = (fields: Partial<EmailView> = {}): EmailView => ({
  index: 1,
  from: 'client1',
  to: ['client10', 'client2'],
  receivedAt: '2026-11-20 09:05:33.123456',
  title: 'Lunch on Friday',
  contentLength: 0,
  content: 'Shall we?\n\n> an old quote\nSee you.',
  raw: '',
  ...fields,
});

describe('web UI reply, reply all and forward', () => {
  it('prefixes Re: and Fwd: once, within the 100-character title limit', () => {
    expect(prefixedTitle('Re', 'Lunch')).toBe('Re: Lunch');
    expect(prefixedTitle('Re', 'RE: Lunch')).toBe('RE: Lunch');
    expect(prefixedTitle('Fwd', 'Fw: Lunch')).toBe('Fw: Lunch');
    expect(prefixedTitle('Fwd', 'Re: Lunch')).toBe('Fwd: Re: Lunch');
    const long = prefixedTitle('Re', '😀'.repeat(100));
    expect(codePointLength(long)).toBe(100);
    expect(long.startsWith('Re: 😀')).toBe(true);
  });

  it('quotes each line behind "> "', () => {
    expect(quoteLines('a\n\n> b')).toBe('> a\n>\n>> b');
  });

  it('replies to the sender under an attribution line', () => {
    const { draft, shortened } = replyDraft('reply', email(), 'client10');
    expect(shortened).toBe(false);
    expect(draft.to).toEqual(['client1']);
    expect(draft.title).toBe('Re: Lunch on Friday');
    expect(draft.content).toBe(
      '\n\nOn 2026-11-20 09:05, client1 wrote:\n> Shall we?\n>\n>> an old quote\n> See you.',
    );
  });

  it('replies to all but me, and forwards to no one yet with the original headers', () => {
    expect(replyDraft('replyAll', email(), 'client10').draft.to).toEqual(['client1', 'client2']);
    const forward = replyDraft('forward', email(), 'client10').draft;
    expect(forward.to).toEqual([]);
    expect(forward.title).toBe('Fwd: Lunch on Friday');
    // A "Forwarded message" block as mail clients write it, the time to the minute, the text whole.
    expect(forward.content).toBe(
      '\n\n---------- Forwarded message ----------\nFrom: client1\nDate: 2026-11-20 09:05\nTitle: Lunch on Friday\nTo: client10, client2\n\nShall we?\n\n> an old quote\nSee you.',
    );
  });

  it('says what each draft answers, for the composer\u2019s heading, and keeps it in saved drafts', () => {
    expect(replyDraft('reply', email(), 'client10').draft.kind).toBe('reply');
    expect(replyDraft('replyAll', email(), 'client10').draft.kind).toBe('replyAll');
    expect(replyDraft('forward', email(), 'client10').draft.kind).toBe('forward');
    expect(composerHeading(undefined)).toBe('New email');
    expect(composerHeading('reply')).toBe('Reply');
    expect(composerHeading('replyAll')).toBe('Reply to all');
    expect(composerHeading('forward')).toBe('Forward');
    const saved = newSavedDraft({ kind: 'forward', title: 'Fwd: x' });
    expect(parseDrafts([saved, { ...saved, id: 'd2', kind: 'bogus' }])).toEqual([saved]);
  });

  it('shortens a forwarded 1,000,000-character email without quoting it', () => {
    const content = 'line\n'.repeat(200_000);
    const { draft, shortened } = replyDraft('forward', email({ content }), 'client10');
    expect(shortened).toBe(true);
    expect(codePointLength(draft.content ?? '')).toBeLessThanOrEqual(1_000_000);
    expect(draft.content?.endsWith('\nline\n[…]')).toBe(true);
  });

  it('shortens the quote of a 1,000,000-character email to stay within the limit', () => {
    const content = 'line\n'.repeat(200_000);
    const { draft, shortened } = replyDraft('reply', email({ content }), 'client10');
    expect(shortened).toBe(true);
    expect(codePointLength(draft.content ?? '')).toBeLessThanOrEqual(1_000_000);
    expect(draft.content?.endsWith('> line\n> […]')).toBe(true);
  });
});

describe('web UI contacts', () => {
  it('keeps valid names once, sorted', () => {
    expect(addContacts(['client2'], ['client10', 'client2', 'bad name', ''])).toEqual([
      'client2',
      'client10',
    ]);
  });

  it('suggests names that start with what is typed first, then those containing it', () => {
    const contacts = ['ana', 'banana', 'anna', 'bob'];
    expect(suggestContacts(contacts, 'an', [])).toEqual(['ana', 'anna', 'banana']);
    expect(suggestContacts(contacts, 'AN', ['ana'])).toEqual(['anna', 'banana']);
    expect(suggestContacts(contacts, ' ', [])).toEqual([]);
    expect(suggestContacts(contacts, 'bob', [])).toEqual([]);
  });

  it('names the recipients never seen', () => {
    expect(unknownRecipients(['client2', 'ghost'], ['client2'])).toEqual(['ghost']);
  });
});

describe('web UI saved drafts', () => {
  it('saves a draft in place and first, drops it when empty, removes it by id', () => {
    const a = newSavedDraft({ title: 'a' }, 1000);
    const b = newSavedDraft({ title: 'b' }, 2000);
    const list = draftsAfterSave(draftsAfterSave([], a), b);
    expect(list.map((draft) => draft.title)).toEqual(['b', 'a']);
    expect(draftsAfterSave(list, { ...a, title: 'a2' }).map((draft) => draft.title)).toEqual([
      'a2',
      'b',
    ]);
    expect(draftsAfterSave(list, { ...a, ...emptyDraft() })).toEqual([b]);
    expect(draftsAfterRemove(list, b.id)).toEqual([a]);
    expect(a.id).not.toBe(b.id);
    expect(sortDrafts([a, b]).map((draft) => draft.title)).toEqual(['b', 'a']);
  });

  it('reads back only what is shaped as a draft', () => {
    const good = newSavedDraft({
      to: ['client2'],
      source: { kind: 'file', name: 'f.txt', bytes: 3 },
    });
    expect(parseDrafts([good, { id: 'x' }, 'text', null])).toEqual([good]);
    expect(parseDrafts('nonsense')).toEqual([]);
  });
});
