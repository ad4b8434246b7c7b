/**
 * The PostgreSQL pools this process holds, by name, for the metrics: a pool registers itself
 * when it is made and leaves when it is closed. Only the counts are read.
 */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

const pools = new Set<{ name: string; pool: PoolCounts }>();

/** Registers a pool; returns what unregisters it. */
export function registerPostgresPool(name: string, pool: PoolCounts): () => void {
  const entry = { name, pool };
  pools.add(entry);
  return () => {
    pools.delete(entry);
  };
}

export function postgresPools(): readonly { name: string; pool: PoolCounts }[] {
  return [...pools];
}
