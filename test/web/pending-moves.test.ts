import { describe, expect, it } from 'vitest';
import { PendingMoves } from '../../web/src/lib/pending-moves.js';

describe('web UI moves to the Trash not answered yet', () => {
  it('keeps a later move applied when the answer to an earlier one arrives first', () => {
    const pending = new PendingMoves();
    const first = pending.add(['old-news'], false);
    const second = pending.add(['spam'], false);
    expect([...pending.over([])].sort()).toEqual(['old-news', 'spam']);
    // The gateway answers the first move with the Trash as it was after that move alone.
    pending.settle(first);
    expect([...pending.over(['old-news'])].sort()).toEqual(['old-news', 'spam']);
    pending.settle(second);
    expect([...pending.over(['old-news', 'spam'])].sort()).toEqual(['old-news', 'spam']);
    // Once nothing is pending, what the gateway says is all there is (a failed move is gone).
    expect([...pending.over(['old-news'])]).toEqual(['old-news']);
  });

  it('applies moves in the order sent: a restore after a move leaves the email out of the Trash', () => {
    const pending = new PendingMoves();
    pending.add(['lunch'], false);
    const restore = pending.add(['lunch'], true);
    expect([...pending.over(['other'])]).toEqual(['other']);
    pending.settle(restore);
    expect([...pending.over(['other'])].sort()).toEqual(['lunch', 'other']);
  });
});
