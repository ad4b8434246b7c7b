/** At start, with the PostgreSQL store: a warning when the database allows fewer connections than this host may use. */
import type { Logger } from '../log.js';
import type { MailServerOptions } from '../server-options.js';
import { isPostgresUrl } from '../store/open-store.js';
import { connectionWarning, readDatabaseLimits } from './postgres-need.js';

export async function warnOnPostgresLimits(options: MailServerOptions, log: Logger): Promise<void> {
  if (!isPostgresUrl(options.store)) return;
  try {
    const warning = connectionWarning(options, await readDatabaseLimits(options.store));
    if (warning) log.warn(warning.fields, warning.message);
  } catch (error) {
    // The store answered at start; a warning that cannot be computed is not worth more.
    log.debug({ err: (error as Error).message }, 'max_connections could not be read');
  }
}
