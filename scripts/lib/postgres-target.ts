/**
 * `--postgres [URL]` of the benchmark and the load tool: the PostgreSQL server to measure the
 * store on; without a URL, a throwaway cluster of this machine's PostgreSQL (apt-get install
 * postgresql) that is removed afterwards.
 */
import { Command, Option } from 'commander';
import { parseCommandLine } from '../../common/program.js';
import { describePostgresUrl } from '../../mail-server/store/postgres-connection.js';
import { startThrowawayCluster } from './postgres-cluster.js';

export interface PostgresTarget {
  /** A database where the tool may make databases of its own. */
  url: string;
  description: string;
  release: () => Promise<void>;
}

export const postgresOption = (): Option =>
  new Option(
    '--postgres [url]',
    'also measure the PostgreSQL store: on the server of this URL (a database where databases may be made), or on a throwaway cluster of this machine',
  );

/** Reads --postgres from a command line that has nothing else; undefined when it is absent. */
export async function postgresTarget(
  argv: readonly string[],
  name: string,
): Promise<PostgresTarget | undefined> {
  const { postgres } = parseCommandLine(new Command(name).addOption(postgresOption()), argv).opts<{
    postgres?: string | true;
  }>();
  return openPostgresTarget(postgres);
}

export async function openPostgresTarget(
  postgres: string | true | undefined,
): Promise<PostgresTarget | undefined> {
  if (postgres === undefined) return undefined;
  if (typeof postgres === 'string')
    return {
      url: postgres,
      description: describePostgresUrl(postgres),
      release: () => Promise.resolve(),
    };
  const cluster = await startThrowawayCluster();
  return {
    url: cluster.url(),
    description: `a throwaway cluster (${describePostgresUrl(cluster.url())})`,
    release: () => cluster.destroy(),
  };
}
