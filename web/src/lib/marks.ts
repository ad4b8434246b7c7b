import type { InboxItem } from '../../../gateway/messages.js';
import { identity } from './inbox.js';

/**
 * Read and hidden marks, kept per user on this device. The protocol has neither: an email is
 * named by its sender, time and title, hashed so that 10,000 marks stay small in storage.
 */
export function markOf(item: InboxItem): string {
  let mark = computed.get(item);
  if (mark === undefined) {
    const text = identity(item);
    mark = `${fnv1a(text, 0x811c9dc5).toString(36)}.${fnv1a(text, 0x050c5d1f).toString(36)}`;
    computed.set(item, mark);
  }
  return mark;
}

const computed = new WeakMap<InboxItem, string>();

function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function withMarks(marks: ReadonlySet<string>, keys: Iterable<string>): Set<string> {
  const next = new Set(marks);
  for (const key of keys) next.add(key);
  return next;
}

export function withoutMarks(marks: ReadonlySet<string>, keys: Iterable<string>): Set<string> {
  const next = new Set(marks);
  for (const key of keys) next.delete(key);
  return next;
}

/** Drops marks of emails no longer listed (the inbox rarely shrinks, but the marks must not grow for ever). */
export function pruneMarks(marks: ReadonlySet<string>, items: readonly InboxItem[]): Set<string> {
  const present = new Set(items.map(markOf));
  return new Set([...marks].filter((key) => present.has(key)));
}
