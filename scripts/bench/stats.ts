/** Percentile of a sample, in the unit of the sample, rounded to 0.01. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[rank] ?? NaN) * 100) / 100;
}

/** Runs `operation` `count` times one after another; returns each duration in ms. */
export async function timeEach(
  count: number,
  operation: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await operation(i);
    durations.push(performance.now() - start);
  }
  return durations;
}
