/** Finding text in an open email, including the parts not yet in view. */

/** Where each occurrence starts (case-insensitive), at most `limit` of them. */
export function findOffsets(text: string, query: string, limit = 10_000): number[] {
  if (query === '') return [];
  const pattern = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  const offsets: number[] = [];
  for (const match of text.matchAll(pattern)) {
    offsets.push(match.index);
    if (offsets.length >= limit) break;
  }
  return offsets;
}

/** Which piece of a text cut by splitIntoChunks holds an offset, and where in it. */
export function locate(
  chunks: readonly string[],
  offset: number,
): { chunk: number; offset: number } | undefined {
  let start = 0;
  for (let chunk = 0; chunk < chunks.length; chunk++) {
    const length = chunks[chunk]?.length ?? 0;
    if (offset < start + length) return { chunk, offset: offset - start };
    start += length;
  }
  return undefined;
}
