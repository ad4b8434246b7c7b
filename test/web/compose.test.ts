import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CONTENT_CHARS, MAX_TITLE_CHARS } from '../../protocol/email.js';
import { codePointLength } from '../../protocol/text.js';
import * as webLimits from '../../web/src/lib/limits.js';
import {
  countChars,
  decodeTextFile,
  emptyDraft,
  finalRecipients,
  formatCount,
  isDraftEmpty,
  sendBlocker,
  type Draft,
} from '../../web/src/lib/compose.js';

const draft = (fields: Partial<Draft>): Draft => ({ ...emptyDraft(), ...fields });

describe('web UI compose counters', () => {
  it('uses the protocol’s own limits and counting, not copies', () => {
    expect(webLimits.MAX_TITLE_CHARS).toBe(MAX_TITLE_CHARS);
    expect(webLimits.MAX_CONTENT_CHARS).toBe(MAX_CONTENT_CHARS);
    expect(webLimits.codePointLength).toBe(codePointLength);
  });

  it('counts code points, as the server does: an emoji is one character', () => {
    expect(countChars('a😀b', 100).used).toBe(3);
    expect(countChars('é', 100).used).toBe(1);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(countChars(text, 100).used).toBe(codePointLength(text));
      }),
    );
  });

  it('reports the level and how far over the limit', () => {
    expect(countChars('x'.repeat(89), 100)).toEqual({ used: 89, max: 100, over: 0, level: 'ok' });
    expect(countChars('x'.repeat(90), 100).level).toBe('near');
    expect(countChars('x'.repeat(100), 100).level).toBe('near');
    expect(countChars('x'.repeat(101), 100)).toEqual({
      used: 101,
      max: 100,
      over: 1,
      level: 'over',
    });
  });

  it('formats the count with separators', () => {
    expect(formatCount(countChars('x'.repeat(1234), 1_000_000))).toBe('1,234 / 1,000,000');
  });
});

describe('web UI Send blocker', () => {
  const ok = draft({ to: ['client2'], title: 'Hello', content: 'Hi' });

  it('lets a valid draft go', () => {
    expect(sendBlocker(ok)).toBeUndefined();
    expect(sendBlocker(draft({ to: ['client2'] }))).toBeUndefined();
  });

  it('needs a recipient, counting what is still typed in the field', () => {
    expect(sendBlocker(draft({ title: 'x' }))).toBe('Add at least one recipient.');
    const typed = draft({ pending: 'client3; client4' });
    expect(sendBlocker(typed)).toBeUndefined();
    expect(finalRecipients(draft({ to: ['client2'], pending: 'client3 client2' }))).toEqual([
      'client2',
      'client3',
    ]);
  });

  it('blocks a 101-character title with the reason and allows 100', () => {
    expect(sendBlocker({ ...ok, title: 'x'.repeat(100) })).toBeUndefined();
    expect(sendBlocker({ ...ok, title: 'x'.repeat(101) })).toBe(
      'The title is 101 characters; the limit is 100. Shorten it by 1.',
    );
    // 100 emoji are 200 UTF-16 units but 100 characters.
    expect(sendBlocker({ ...ok, title: '😀'.repeat(100) })).toBeUndefined();
  });

  it('blocks a line break in the title', () => {
    expect(sendBlocker({ ...ok, title: 'a\nb' })).toBe('The title must be a single line.');
  });

  it('blocks content over 1,000,000 characters', () => {
    expect(sendBlocker({ ...ok, content: 'x'.repeat(1_000_000) })).toBeUndefined();
    expect(sendBlocker({ ...ok, content: 'x'.repeat(1_000_002) })).toBe(
      'The content is 2 characters over the 1,000,000 limit.',
    );
  });

  it('knows an empty draft', () => {
    expect(isDraftEmpty(emptyDraft())).toBe(true);
    expect(isDraftEmpty(draft({ pending: '  ' }))).toBe(true);
    expect(isDraftEmpty(draft({ content: 'x' }))).toBe(false);
  });
});

describe('web UI text files', () => {
  it('keeps the bytes of a UTF-8 file as they are, CRLF included', () => {
    const text = 'line one\r\nligne deux é\r\n😀\n';
    expect(decodeTextFile(new TextEncoder().encode(text))).toEqual({ text });
  });

  it('refuses a file that is not UTF-8 text', () => {
    expect(decodeTextFile(new Uint8Array([0x66, 0xff, 0x66]))).toEqual({
      error: expect.stringMatching(/not UTF-8/) as string,
    });
    expect(decodeTextFile(new Uint8Array([0x66, 0x00, 0x66]))).toEqual({
      error: expect.stringMatching(/binary/) as string,
    });
  });

  it('refuses a file too large to hold 1,000,000 characters', () => {
    expect(decodeTextFile(new Uint8Array(4_000_001))).toEqual({
      error: expect.stringMatching(/too large/) as string,
    });
  });
});
