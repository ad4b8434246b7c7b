import { MAX_RECIPIENTS, MAX_USERNAME_CHARS, codePointLength } from './limits.js';

/** What ends a recipient name while typing or pasting: `;` (the protocol's own), `,`, white space. */
const SEPARATORS = /[;,\s]+/;

/** Splits typed or pasted text into finished names and the unfinished rest after the last separator. */
export function splitTyped(text: string): { names: string[]; rest: string } {
  const parts = text.split(SEPARATORS);
  const rest = parts.pop() ?? '';
  return { names: parts.filter((name) => name.length > 0), rest };
}

/** All names in a piece of text, the last one included (used on Enter, blur and Send). */
export function splitAll(text: string): string[] {
  return text.split(SEPARATORS).filter((name) => name.length > 0);
}

/** Adds names to the chips, keeping their order and dropping duplicates. */
export function addRecipients(chips: readonly string[], names: readonly string[]): string[] {
  const result = [...chips];
  for (const name of names) {
    if (!result.includes(name)) result.push(name);
  }
  return result;
}

export function removeRecipient(chips: readonly string[], name: string): string[] {
  return chips.filter((chip) => chip !== name);
}

/** Backspace in an empty field removes the last chip. */
export function removeLast(chips: readonly string[]): string[] {
  return chips.slice(0, -1);
}

/** Why a name cannot be a recipient, in plain words; undefined when it can. */
export function recipientProblem(name: string): string | undefined {
  if (name.length === 0) return 'a recipient name is empty';
  if (codePointLength(name) > MAX_USERNAME_CHARS)
    return `“${shorten(name)}” is longer than ${MAX_USERNAME_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f;,\s]/.test(name))
    return `“${shorten(name)}” contains a character a username cannot have`;
  return undefined;
}

/** The first problem with a list of recipients, or undefined when it can be sent. */
export function recipientsProblem(chips: readonly string[]): string | undefined {
  if (chips.length === 0) return 'Add at least one recipient.';
  if (chips.length > MAX_RECIPIENTS)
    return `At most ${MAX_RECIPIENTS} recipients; remove ${chips.length - MAX_RECIPIENTS}.`;
  for (const chip of chips) {
    const problem = recipientProblem(chip);
    if (problem !== undefined) return `Fix the recipient: ${problem}.`;
  }
  return undefined;
}

function shorten(name: string): string {
  return name.length > 24 ? `${name.slice(0, 23)}…` : name;
}
