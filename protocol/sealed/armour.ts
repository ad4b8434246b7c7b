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

/**
 * Whether `body` is `chars` characters of base64 cut into lines of 64 joined by LF: with
 * exactly one LF a line but the last, each where a line ends, there is no room for another.
 */
function inArmourLines(body: string, chars: number): boolean {
  const lines = Math.ceil(chars / ARMOUR_LINE_CHARS);
  if (lines === 0 || body.length !== chars + lines - 1) return false;
  for (let at = ARMOUR_LINE_CHARS; at < body.length; at += ARMOUR_LINE_CHARS + 1)
    if (body.charCodeAt(at) !== LF) return false;
  return true;
}

const LF = 0x0a;

/**
 * The sealed email's bytes; throws INVALID_SEALED_EMAIL for any other text. The same test as
 * armouring the bytes again and comparing, without building the text a second time.
 */
export function unarmour(text: string): Buffer {
  if (!isSealedArmour(text) || !text.endsWith(`\n${ARMOUR_END}`))
    throw sealedError('the sealed body is not between its BEGIN and END lines');
  const body = text.slice(ARMOUR_BEGIN.length + 1, text.length - ARMOUR_END.length - 1);
  const base64 = body.replaceAll('\n', '');
  const blob = Buffer.from(base64, 'base64');
  // Node's decoder skips what is not base64: only the canonical spelling of the bytes is taken.
  if (blob.toString('base64') !== base64 || !inArmourLines(body, base64.length))
    throw sealedError('the sealed body is not well-formed base64');
  return blob;
}
