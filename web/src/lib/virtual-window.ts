/**
 * The rows of a long list that are in the DOM: those in view and a few either side. Rows have
 * one fixed height, so positions are arithmetic and 10,000 emails cost as little as 30.
 */
export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  /** Rows kept beyond each edge, so a fast scroll does not show blank space. */
  overscan?: number;
}

export interface RowWindow {
  /** First row in the DOM. */
  start: number;
  /** One past the last row in the DOM. */
  end: number;
}

export function rowWindow({
  scrollTop,
  viewportHeight,
  rowHeight,
  count,
  overscan = 8,
}: WindowInput): RowWindow {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const inView = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first) - overscan);
  const end = Math.min(count, first + inView + overscan);
  return { start, end };
}

/**
 * Where to scroll so row `position` shows: undefined when it is in view already ('nearest'),
 * or its top placed a third of the way down ('center', after a sort).
 */
export function scrollToShow(
  position: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  align: 'nearest' | 'center' = 'nearest',
): number | undefined {
  const top = position * rowHeight;
  const bottom = top + rowHeight;
  if (align === 'center') return Math.max(0, top - Math.floor(viewportHeight / 3));
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return undefined;
}
