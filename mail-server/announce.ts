import { printable } from '../protocol/text.js';

/**
 * One of the specification's server lines (E.2, F.3, I.1) on stdout. Its parts come from
 * clients (usernames, recipients), so no control or bidi character reaches the console.
 */
export function announce(line: string): void {
  process.stdout.write(`${printable(line)}\n`);
}
