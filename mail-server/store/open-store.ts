/** Opens the mail store a server is configured with. */
import type { ServerHome } from '../home.js';
import type { Logger } from '../log.js';
import type { MailStore, UserNames } from './mail-store.js';
import { SeedFilesStore } from './seed-files-store.js';
import { MemoryStore } from './memory-store.js';

export type PostgresUrl = `postgres://${string}` | `postgresql://${string}`;

/**
 * `files`: the seed's folders in the home, one `<sender>_<title>.txt` per email (the default;
 * not Maildir, whose tools would not read it); `memory`: nothing kept (tests); a PostgreSQL
 * connection URL: the store that several hosts can share.
 */
export type StoreSpec = 'files' | 'memory' | PostgresUrl;

export const isPostgresUrl = (text: string): text is PostgresUrl =>
  /^postgres(ql)?:\/\//.test(text);

/**
 * A store named on the command line: `files` (`maildir`, its name before, is taken as it) or a
 * PostgreSQL URL; throws with what is wrong.
 */
export function parseStoreSpec(text: string): StoreSpec {
  if (text === 'files' || text === 'maildir') return 'files';
  if (isPostgresUrl(text)) return text;
  throw new Error('expected "files" or a PostgreSQL URL (postgres://user@host:port/database)');
}

/** Readies the store before any session runs: PostgreSQL's schema is brought up to date. */
export async function prepareMailStore(spec: StoreSpec, log?: Logger): Promise<void> {
  if (!isPostgresUrl(spec)) return;
  const { migrate } = await import('./postgres-migrations.js');
  const { applied, version } = await migrate(spec);
  if (applied.length > 0) log?.info({ applied, version }, 'mail store schema brought up to date');
}

/**
 * Opens the store. The PostgreSQL store (and node-postgres) is loaded only when it is the one
 * configured: a session process of a files server starts without it.
 */
export async function openMailStore(
  spec: StoreSpec,
  home: ServerHome,
  log?: Logger,
): Promise<MailStore> {
  // A live view: a user added by a reload (SIGHUP) has an inbox at once.
  const users: UserNames = {
    has: (name) => home.users.has(name),
    [Symbol.iterator]: () => home.users.keys(),
  };
  if (isPostgresUrl(spec)) {
    const { defaultPostgresStoreOptions, PostgresStore } = await import('./postgres-store.js');
    return new PostgresStore(spec, users, {
      ...defaultPostgresStoreOptions,
      ...(log ? { log } : {}),
    });
  }
  return spec === 'memory' ? new MemoryStore(users) : new SeedFilesStore(home.dir, users);
}

/**
 * The spec to hand to session processes: their command line, which any local user can read,
 * never carries a password; one given in the URL reaches them through the environment they
 * inherit (PGPASSWORD, which node-postgres reads).
 */
export function storeSpecForChildren(spec: StoreSpec): StoreSpec {
  if (!isPostgresUrl(spec)) return spec;
  const url = new URL(spec);
  if (url.password === '') return spec;
  process.env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return url.toString() as PostgresUrl;
}
