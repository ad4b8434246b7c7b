/**
 * The parent's waiting room: connections that have not sent their first frame yet (screen.ts),
 * per client address. Its size bounds the sockets a flood of silent connections can hold; when
 * it is full, a newcomer is still let in and the oldest connection of the address holding the
 * most is shed, so that many silent connections from a few addresses cost those addresses
 * their own places and never keep out a client from a quiet address (as Postfix's postscreen
 * and anvil put the burden on the heaviest clients).
 *
 * Addresses are kept in buckets by how many connections they hold, so that finding the
 * heaviest costs the same however many addresses wait.
 */
export class WaitingRoom<Guest> {
  readonly #capacity: number;
  /** Each address's guests, oldest first (a Set keeps insertion order). */
  readonly #guests = new Map<string, Set<Guest>>();
  /** Addresses by the number of guests they hold. */
  readonly #buckets = new Map<number, Set<string>>();
  #most = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`a waiting room holds at least one connection, not ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Lets `guest` from `address` in. When the room was full, returns the guest shed to make
   * room: the oldest of the address holding the most, the newcomer's own address when it is
   * one of those (so that a newcomer never pushes another address below it).
   */
  enter(address: string, guest: Guest): Guest | undefined {
    let shed: Guest | undefined;
    if (this.#size >= this.#capacity) {
      const own = this.#guests.get(address)?.size ?? 0;
      const heaviest =
        own === this.#most ? address : this.#buckets.get(this.#most)?.values().next().value;
      shed = heaviest === undefined ? undefined : this.#guests.get(heaviest)?.values().next().value;
      if (heaviest !== undefined && shed !== undefined) this.leave(heaviest, shed);
    }
    const guests = this.#guests.get(address) ?? new Set<Guest>();
    this.#guests.set(address, guests);
    guests.add(guest);
    this.#size++;
    this.#move(address, guests.size - 1, guests.size);
    return shed;
  }

  /** `guest` spoke, went away or was shed; nothing happens when it is no longer in the room. */
  leave(address: string, guest: Guest): void {
    const guests = this.#guests.get(address);
    if (!guests?.delete(guest)) return;
    if (guests.size === 0) this.#guests.delete(address);
    this.#size--;
    this.#move(address, guests.size + 1, guests.size);
  }

  /** Moves `address` between buckets after its count went from `from` to `to` (by one). */
  #move(address: string, from: number, to: number): void {
    const old = this.#buckets.get(from);
    old?.delete(address);
    if (old?.size === 0) this.#buckets.delete(from);
    if (to > 0) {
      const bucket = this.#buckets.get(to) ?? new Set<string>();
      this.#buckets.set(to, bucket);
      bucket.add(address);
    }
    if (to > this.#most) this.#most = to;
    else if (from === this.#most && !this.#buckets.has(from)) this.#most = to;
  }
}
