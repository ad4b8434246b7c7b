/**
 * Arrays that replace one another (an inbox's rows, listing after listing), each one made from
 * the one before by changes from a known position on. How long a prefix two of them share is
 * then known without comparing them, so that what is derived from them (a session's rows, the
 * formatted lines of a listing) is redone only from the first change on: a listing after a
 * delivery costs the new email, not the inbox.
 */

/** How many versions back the first change of each is remembered. */
const HISTORY = 256;

interface Tag {
  readonly owner: VersionedArray<unknown>;
  readonly version: number;
}

const tags = new WeakMap<readonly unknown[], Tag>();

/** One array after another, each recorded with where it first differs from the one before. */
export class VersionedArray<T> {
  #current: readonly T[] = [];
  #version = 0;
  /** At `v % HISTORY`: the first position where version v differs from version v - 1. */
  readonly #firstChanged = new Float64Array(HISTORY);

  constructor() {
    tags.set(this.#current, { owner: this, version: 0 });
  }

  get current(): readonly T[] {
    return this.#current;
  }

  /**
   * Makes `next` the current array. It must hold the same elements (the same objects) as the
   * current one before `firstChanged`; `next` must not be changed afterwards.
   */
  replace(next: readonly T[], firstChanged: number): readonly T[] {
    if (next === this.#current) return next;
    if (tags.has(next)) throw new Error('an array is a version of one VersionedArray only, once');
    this.#version++;
    this.#firstChanged[this.#version % HISTORY] = Math.max(
      0,
      Math.min(firstChanged, this.#current.length, next.length),
    );
    this.#current = next;
    tags.set(next, { owner: this, version: this.#version });
    return next;
  }

  /** The prefix versions `older` and `newer` share, when their changes are still remembered. */
  sharedBetween(older: number, newer: number): number | undefined {
    if (older > newer) return this.sharedBetween(newer, older);
    if (newer > this.#version || this.#version - older >= HISTORY) return undefined;
    let shared = Infinity;
    for (let version = older + 1; version <= newer; version++)
      shared = Math.min(shared, this.#firstChanged[version % HISTORY] ?? 0);
    return shared;
  }
}

/**
 * The VersionedArray `array` is a version of, if any: a key for what is kept about all its
 * versions (gone with it).
 */
export function lineageOf(array: readonly unknown[]): object | undefined {
  return tags.get(array)?.owner;
}

/** The leading elements `before` and `after` share (the same objects, in the same places). */
export function sharedPrefix<T>(before: readonly T[], after: readonly T[]): number {
  const shorter = Math.min(before.length, after.length);
  if (before === after) return shorter;
  const a = tags.get(before);
  const b = tags.get(after);
  if (a && b && a.owner === b.owner) {
    const shared = a.owner.sharedBetween(a.version, b.version);
    if (shared !== undefined) return Math.min(shared, shorter);
  }
  // Not two versions of one array (or too far apart): compared, element by element.
  let same = 0;
  while (same < shorter && before[same] === after[same]) same++;
  return same;
}

/**
 * Keeps an array made from another one element by element (`make(item, index)`), remaking
 * from the source's first change on only. Its arrays are versions of one VersionedArray, so
 * what is derived from them in turn can do the same.
 */
export class MappedArray<S, T> {
  #source: readonly S[] = [];
  readonly #made = new VersionedArray<T>();
  readonly #make: (item: S, index: number) => T;

  constructor(make: (item: S, index: number) => T) {
    this.#make = make;
  }

  /** `source` mapped; the same array as last time when `source` is the same. */
  update(source: readonly S[]): readonly T[] {
    if (source === this.#source) return this.#made.current;
    const kept = Math.min(sharedPrefix(this.#source, source), this.#made.current.length);
    const made = this.#made.current.slice(0, kept);
    for (let i = kept; i < source.length; i++) made.push(this.#make(source[i] as S, i));
    this.#source = source;
    return this.#made.replace(made, kept);
  }
}
