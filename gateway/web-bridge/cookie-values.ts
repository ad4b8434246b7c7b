/**
 * Every value a Cookie header carries for one name. A page served from another port of this
 * host can set cookies of the gateway's name (cookies ignore ports), for longer paths than the
 * gateway's own `/`; the browser then sends both, the longer path first, and a parser that keeps
 * the first value (as @fastify/cookie does) sees only the tossed one.
 */

/** More than any browser sends for one name and path set; a longer list is cut, not parsed. */
const MAX_VALUES = 64;

export function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    values.push(value);
    if (values.length >= MAX_VALUES) break;
  }
  return values;
}
