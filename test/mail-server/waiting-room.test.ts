/** The parent's waiting room: bounded, and when full it sheds from the address holding the most. */
import { describe, expect, it } from 'vitest';
import { WaitingRoom } from '../../mail-server/waiting-room.js';

describe('waiting room', () => {
  it('when full, lets a newcomer from a quiet address in and sheds the oldest of the address holding the most', () => {
    const room = new WaitingRoom<string>(4);
    for (const guest of ['a1', 'a2', 'a3']) expect(room.enter('a', guest)).toBeUndefined();
    expect(room.enter('b', 'b1')).toBeUndefined();
    expect(room.enter('c', 'c1')).toBe('a1');
    expect(room.enter('d', 'd1')).toBe('a2');
    // Now a, b, c and d hold one each: a newcomer from one of them sheds that address's own.
    expect(room.enter('b', 'b2')).toBe('b1');
    expect(room.size).toBe(4);
  });

  it('forgets a guest that leaves, once, and never sheds one that has left', () => {
    const room = new WaitingRoom<string>(2);
    room.enter('a', 'a1');
    room.enter('a', 'a2');
    room.leave('a', 'a1');
    room.leave('a', 'a1');
    expect(room.size).toBe(1);
    room.enter('b', 'b1');
    expect(room.enter('c', 'c1')).toBe('a2');
  });

  it('under a flood from 21 addresses, stays within its size and leaves none much more than its share', () => {
    const room = new WaitingRoom<number>(200);
    const held = new Map<string, Set<number>>();
    let next = 0;
    for (let address = 0; address < 21; address++)
      for (let i = 0; i < 500; i++) {
        const guest = next++;
        const shed = room.enter(String(address), guest);
        for (const guests of held.values()) if (shed !== undefined) guests.delete(shed);
        const own = held.get(String(address)) ?? new Set<number>();
        held.set(String(address), own.add(guest));
      }
    expect(room.size).toBe(200);
    const counts = [...held.values()].map((guests) => guests.size);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});
