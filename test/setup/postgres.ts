/**
 * Once per test run: a throwaway PostgreSQL cluster for every test of the PostgreSQL store,
 * stopped and removed at the end. Where the machine has no PostgreSQL, the tests that need it
 * are skipped with the reason (test/helpers/postgres.ts).
 */
import type { TestProject } from 'vitest/node';
import {
  postgresUnavailableReason,
  startThrowawayCluster,
} from '../../scripts/lib/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The maintenance database's URL of the run's cluster, or why there is none. */
    postgres: { url: string } | { unavailable: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const unavailable = postgresUnavailableReason();
  if (unavailable !== undefined) {
    project.provide('postgres', { unavailable });
    return () => Promise.resolve();
  }
  const cluster = await startThrowawayCluster();
  project.provide('postgres', { url: cluster.url() });
  return () => cluster.destroy();
}
