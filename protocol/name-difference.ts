/**
 * Where two look-alike names differ, in words, since in most fonts they look the same:
 * "character 2 is capital I, where client1 has small l". Browser-safe (no imports): the UI and
 * the terminal client say it the same way.
 */
function charName(char: string): string {
  if (/^[A-Z]$/.test(char)) return `capital ${char}`;
  if (/^[a-z]$/.test(char)) return `small ${char}`;
  if (/^[0-9]$/.test(char)) return `digit ${char}`;
  if (char === '') return 'nothing';
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character where `name` differs from `other`, said in words; empty when equal. */
export function nameDifference(name: string, other: string): string {
  const a = Array.from(name);
  const b = Array.from(other);
  const at = a.findIndex((char, i) => char !== b[i]);
  const index = at === -1 ? a.length : at;
  if (index >= Math.max(a.length, b.length)) return '';
  return `character ${index + 1} is ${charName(a[index] ?? '')}, where ${other} has ${charName(b[index] ?? '')}`;
}
