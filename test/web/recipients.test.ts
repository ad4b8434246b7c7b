import { describe, expect, it } from 'vitest';
import {
  addRecipients,
  recipientProblem,
  recipientsProblem,
  removeLast,
  removeRecipient,
  splitAll,
  splitTyped,
} from '../../web/src/lib/recipients.js';

describe('web UI recipient chips', () => {
  it('turns everything before the last separator into names and keeps the rest typed', () => {
    expect(splitTyped('client2;')).toEqual({ names: ['client2'], rest: '' });
    expect(splitTyped('client2, client3;cli')).toEqual({
      names: ['client2', 'client3'],
      rest: 'cli',
    });
    expect(splitTyped('client2')).toEqual({ names: [], rest: 'client2' });
    expect(splitTyped(';;, ')).toEqual({ names: [], rest: '' });
  });

  it('splits pasted lists on ; , spaces and line breaks', () => {
    expect(splitAll(' client2 ;client3,\nclient4  ')).toEqual(['client2', 'client3', 'client4']);
    expect(splitAll('')).toEqual([]);
  });

  it('adds in order without duplicates', () => {
    expect(addRecipients(['client2'], ['client3', 'client2', 'client4', 'client3'])).toEqual([
      'client2',
      'client3',
      'client4',
    ]);
  });

  it('Backspace removes the last chip; a chip can be removed by name', () => {
    expect(removeLast(['client2', 'client3'])).toEqual(['client2']);
    expect(removeLast([])).toEqual([]);
    expect(removeRecipient(['client2', 'client3', 'client4'], 'client3')).toEqual([
      'client2',
      'client4',
    ]);
  });

  it('says what is wrong with a name, in words', () => {
    expect(recipientProblem('client2')).toBeUndefined();
    expect(recipientProblem('x'.repeat(64))).toBeUndefined();
    expect(recipientProblem('x'.repeat(65))).toMatch(/longer than 64/);
    expect(recipientProblem('a\u0007b')).toMatch(/cannot have/);
    expect(recipientProblem('')).toMatch(/empty/);
  });

  it('checks the list as a whole', () => {
    expect(recipientsProblem([])).toBe('Add at least one recipient.');
    expect(recipientsProblem(['client2'])).toBeUndefined();
    expect(recipientsProblem(Array.from({ length: 101 }, (_, i) => `user${i}`))).toMatch(
      /At most 100/,
    );
  });
});
