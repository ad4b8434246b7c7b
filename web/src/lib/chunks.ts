/** Characters (UTF-16 units) per piece of a long text: small enough to lay out in one frame. */
export const CHUNK_UNITS = 20_000;

/**
 * Cuts a long text into pieces for progressive rendering. A cut prefers the end of a line in
 * the last fifth of a piece and never falls inside a surrogate pair, so joining the pieces
 * gives back the text exactly and no character is split across two text nodes.
 */
export function splitIntoChunks(text: string, size: number = CHUNK_UNITS): string[] {
  if (size < 2) throw new RangeError('chunk size must be at least 2');
  const chunks: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    let end = start + size;
    const newline = text.lastIndexOf('\n', end - 1);
    if (newline >= start + Math.floor(size * 0.8)) {
      end = newline + 1;
    } else if (isHighSurrogate(text.charCodeAt(end - 1))) {
      end -= 1;
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  chunks.push(text.slice(start));
  return chunks;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
