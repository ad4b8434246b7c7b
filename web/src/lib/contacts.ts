import { recipientProblem } from './recipients.js';

/**
 * Contacts: every name seen in From and To on this device, for autocompletion and to mark a
 * recipient never seen before. The classic protocol has no delivery report, so a mistyped
 * name is otherwise stored for no one without a word.
 */
export function addContacts(known: readonly string[], names: Iterable<string>): string[] {
  const all = new Set(known);
  let changed = false;
  for (const name of names) {
    if (all.has(name) || recipientProblem(name) !== undefined) continue;
    all.add(name);
    changed = true;
  }
  return changed ? [...all].sort(compareNames) : [...known];
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
const compareNames = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : 1);

/** Names starting with what is typed first, then names containing it; those already chosen left out. */
export function suggestContacts(
  contacts: readonly string[],
  typed: string,
  chosen: readonly string[],
  limit = 6,
): string[] {
  const needle = typed.trim().toLowerCase();
  if (needle === '') return [];
  const open = contacts.filter((name) => !chosen.includes(name) && name !== typed.trim());
  const starts = open.filter((name) => name.toLowerCase().startsWith(needle));
  const contains = open.filter(
    (name) => !name.toLowerCase().startsWith(needle) && name.toLowerCase().includes(needle),
  );
  return [...starts, ...contains].slice(0, limit);
}

/** Recipients this device has never seen in any email. */
export function unknownRecipients(to: readonly string[], contacts: readonly string[]): string[] {
  const known = new Set(contacts);
  return to.filter((name) => !known.has(name));
}
