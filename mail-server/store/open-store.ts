/** Opens the mail store a server is configured with. */
import type { ServerHome } from '../home.js';
import type { Logger } from '../log.js';
import type { MailStore, UserNames } from './mail-store.js';
import { SeedFilesStore } from './seed-files-store.js';
import { MemoryStore } from './memory-store.js';
import { connectTimeoutMs } from './postgres-url.js';

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
  if (!isPostgresUrl(text))
    throw new Error('expected "files" or a PostgreSQL URL (postgres://user@host:port/database)');
  const problem = postgresUrlProblem(text);
  if (problem !== undefined)
    throw new Error(`${problem}; expected postgres://user@host:port/database`);
  return text;
}

/** What is wrong with a PostgreSQL URL, or undefined: a host and a database are required. */
function postgresUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^postgres(?:ql)?:\/\/[^/?#]*:([^/?#@]*)(?:[/?#]|$)/.exec(text)?.[1];
    return port !== undefined && !/^\d+$/.test(port)
      ? `the port "${port}" is not a number`
      : 'this is not a URL';
  }
  // A Unix socket folder may be given as ?host=/run/postgresql instead of a host name.
  if (url.hostname === '' && !url.searchParams.has('host')) return 'the URL names no host';
  if (url.pathname.length <= 1) return 'the URL names no database (…/database at its end)';
  try {
    connectTimeoutMs(text, 0);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
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
  { checkEveryInbox = true }: { checkEveryInbox?: boolean } = {},
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
  return spec === 'memory'
    ? new MemoryStore(users)
    : new SeedFilesStore(home.dir, users, { checkEveryInbox });
}

/** What session processes are given of the store: the spec, and a password apart from it. */
export interface ChildStore {
  /** For their command line, which any local user can read: never with a password. */
  spec: StoreSpec;
  /** The URL's password, for their environment only (PGPASSWORD, which node-postgres reads). */
  password?: string;
}

/**
 * The store as session processes get it: a password given in the URL is taken out of it and
 * handed to them explicitly (PoolOptions.childEnv); this process's environment is not changed.
 */
export function storeSpecForChildren(spec: StoreSpec): ChildStore {
  if (!isPostgresUrl(spec)) return { spec };
  const url = new URL(spec);
  if (url.password === '') return { spec };
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { spec: url.toString() as PostgresUrl, password };
}
