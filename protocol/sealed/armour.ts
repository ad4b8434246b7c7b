/**
 * A sealed email as text, to stand as an email's content in the stored format (section F):
 *
 *   -----BEGIN SEALED EMAIL-----
 *   base64 of the sealed email, 64 characters a line
 *   -----END SEALED EMAIL-----
 *
 * Only the one spelling is read: a body is taken back only when armouring its bytes again
 * gives the very same text, so no character of it can change unnoticed.
 */
import { ARMOUR_BEGIN, ARMOUR_END, ARMOUR_LINE_CHARS, isSealedArmour } from './suite.js';
import { sealedError } from './format.js';

export function armour(blob: Buffer): string {
  const base64 = blob.toString('base64');
  const lines: string[] = [ARMOUR_BEGIN];
  for (let at = 0; at < base64.length; at += ARMOUR_LINE_CHARS)
    lines.push(base64.slice(at, at + ARMOUR_LINE_CHARS));
  lines.push(ARMOUR_END);
  return lines.join('\n');
}

/** The sealed email's bytes; throws INVALID_SEALED_EMAIL for any other text. */
export function unarmour(text: string): Buffer {
  if (!isSealedArmour(text) || !text.endsWith(`\n${ARMOUR_END}`))
    throw sealedError('the sealed body is not between its BEGIN and END lines');
  const body = text.slice(ARMOUR_BEGIN.length + 1, text.length - ARMOUR_END.length - 1);
  const blob = Buffer.from(body.replaceAll('\n', ''), 'base64');
  if (armour(blob) !== text) throw sealedError('the sealed body is not well-formed base64');
  return blob;
}
