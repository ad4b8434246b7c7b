/**
 * `admin backup DIR` and `admin restore DIR`: a copy of a site (keys, users, inboxes with their
 * index, send ids, login throttle) that can be brought back on a new machine.
 *
 * Consistency without stopping the servers: the Maildir store has no lock to take, and needs
 * none for a copy. An email file is written whole under a temporary name and linked into the
 * inbox (common/safe-files.ts), never changed afterwards; user_pass.json and the throttle files
 * are replaced whole by a rename. So each file copied is a whole version of itself: an email
 * delivered during the copy is in it or not, never half. The index is a cache the store checks
 * against the folder at each listing (maildir-index.ts), so an index copied a moment before
 * or after its inbox heals itself. Then the copy is verified as a server would read it: its
 * keys load, and every inbox lists and every email reads; only then is the manifest written
 * (each file's size and SHA-256), which restore checks before it writes anything.
 *
 * PostgreSQL: the home's files as above, the database with pg_dump (one snapshot transaction,
 * so consistent by the database's own rules) and pg_restore.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { isTempFileName, writeFileSafely } from '../common/safe-files.js';
import { versionLine } from '../common/version.js';
import { loadServerHome } from '../mail-server/home.js';
import { runningServers } from '../mail-server/run-files.js';
import { MaildirStore } from '../mail-server/store/maildir-store.js';
import { findPostgresProgram } from './postgres-programs.js';
import { SiteUsersError } from './user-pass.js';

const MANIFEST = 'backup.json';
const HOME_COPY = 'home';
const STORE_DUMP = 'store.dump';
/** What is never copied: the running servers' pid files, reports and session list. */
const SKIPPED = new Set(['.run']);

interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  mode: number;
}

interface Manifest {
  format: 1;
  program: string;
  made: string;
  store: 'maildir' | 'postgres';
  users: number;
  emails: number;
  files: ManifestFile[];
}

export interface BackupSummary {
  files: number;
  users: number;
  emails: number;
  store: Manifest['store'];
}

const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every regular file under `root`, relative, parents before children; links refused. */
function filesUnder(root: string, folder = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (folder === root && SKIPPED.has(entry.name)) continue;
    if (isTempFileName(entry.name)) continue;
    if (entry.isDirectory()) found.push(...filesUnder(root, path));
    else if (entry.isFile()) found.push(relative(root, path));
    else
      throw new SiteUsersError(
        `${path} is not a regular file or a folder (a link?); a site holds none: remove it and try again`,
      );
  }
  return found;
}

function isEmptyOrAbsent(folder: string): boolean {
  return !existsSync(folder) || readdirSync(folder).length === 0;
}

/** Copies one file, keeping its mode; a file gone since it was listed is skipped (removed). */
function copyOne(from: string, to: string): boolean {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  let mode: number;
  try {
    const stats = lstatSync(from);
    if (!stats.isFile()) return false;
    mode = stats.mode & 0o777;
    copyFileSync(from, to, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  // Made sure, whatever the umask: a key must stay 0600.
  chmodSync(to, mode);
  return true;
}

/** Reads the copy as a server would: keys, users, every inbox listed and every email read. */
async function verifyCopy(copy: string): Promise<{ users: number; emails: number }> {
  let home;
  try {
    home = loadServerHome(copy);
  } catch (error) {
    throw new SiteUsersError(`the copy does not load as a home: ${(error as Error).message}`);
  }
  const store = new MaildirStore(copy, home.users.keys());
  let emails = 0;
  try {
    for (const user of home.users.keys()) {
      for (const entry of await store.list(user)) {
        const text = await store.read(user, { id: entry.id });
        if (text === undefined)
          throw new SiteUsersError(`the copy of ${user}'s email ${entry.id} does not read`);
        emails++;
      }
    }
  } finally {
    await store.close();
  }
  return { users: home.users.size, emails };
}

function manifestFiles(root: string, under: string): ManifestFile[] {
  return filesUnder(join(root, under)).map((path) => {
    const full = join(root, under, path);
    const stats = lstatSync(full);
    return {
      path: join(under, path).split(sep).join('/'),
      size: stats.size,
      sha256: sha256(full),
      mode: stats.mode & 0o777,
    };
  });
}

/** `admin backup DIR`: the site's copy in DIR (which must be empty or absent). */
export async function backupSite(
  home: string,
  out: string,
  storeUrl: string | undefined,
): Promise<BackupSummary> {
  if (!existsSync(join(home, 'user_pass.json')))
    throw new SiteUsersError(`${home} holds no user_pass.json: is it a server's home?`);
  if (!isEmptyOrAbsent(out))
    throw new SiteUsersError(`${out} is not empty: a backup goes into a new or empty folder`);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const copy = join(out, HOME_COPY);
  mkdirSync(copy, { mode: 0o700 });
  // The indexes first: copied before their inboxes, they can only be older, which a listing heals.
  const paths = filesUnder(home).sort(
    (a, b) => Number(!a.startsWith('.index')) - Number(!b.startsWith('.index')),
  );
  for (const path of paths) copyOne(join(home, path), join(copy, path));
  let counts = { users: 0, emails: 0 };
  if (storeUrl === undefined) counts = await verifyCopy(copy);
  else {
    const pgDump = findPostgresProgram('pg_dump');
    const dumped = spawnSync(
      pgDump,
      ['--format=custom', '--no-owner', `--file=${join(out, STORE_DUMP)}`, storeUrl],
      { encoding: 'utf8' },
    );
    if (dumped.status !== 0)
      throw new SiteUsersError(
        `pg_dump failed: ${dumped.stderr.trim() || dumped.error?.message || 'no reason given'} (is PGPASSWORD set, and the URL the one the servers use?)`,
      );
    counts.users = loadServerHome(copy).users.size;
  }
  const manifest: Manifest = {
    format: 1,
    program: versionLine(),
    made: new Date().toISOString(),
    store: storeUrl === undefined ? 'maildir' : 'postgres',
    ...counts,
    files: [
      ...manifestFiles(out, HOME_COPY),
      ...(storeUrl === undefined
        ? []
        : manifestFiles(out, '').filter((f) => f.path === STORE_DUMP)),
    ],
  };
  writeFileSafely(out, MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
    place: 'new',
  });
  return { files: manifest.files.length, ...counts, store: manifest.store };
}

function readManifest(dir: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch (error) {
    throw new SiteUsersError(
      `${join(dir, MANIFEST)} cannot be read (${(error as Error).message}): is ${dir} a backup made by admin backup?`,
    );
  }
  const manifest = parsed as Partial<Manifest>;
  if (manifest.format !== 1 || !Array.isArray(manifest.files))
    throw new SiteUsersError(`${join(dir, MANIFEST)} is not a backup manifest this version reads`);
  for (const file of manifest.files as unknown[]) {
    const path = (file as Partial<ManifestFile> | null)?.path;
    if (typeof path !== 'string' || typeof (file as ManifestFile).sha256 !== 'string')
      throw new SiteUsersError(`${join(dir, MANIFEST)} lists a file without a path or digest`);
    if (path.split('/').some((part) => part === '..' || part === '') || path.startsWith('/'))
      throw new SiteUsersError(`${join(dir, MANIFEST)} names a file outside the backup: ${path}`);
  }
  return manifest as Manifest;
}

/** Refuses, naming the first, a file of the backup that is missing or not what was backed up. */
function checkFiles(dir: string, manifest: Manifest): void {
  for (const file of manifest.files) {
    const path = join(dir, file.path);
    if (!existsSync(path)) throw new SiteUsersError(`the backup lacks ${file.path}`);
    if (sha256(path) !== file.sha256)
      throw new SiteUsersError(`${file.path} in the backup has changed since it was made`);
  }
}

/**
 * `admin restore DIR`: the backup's home written to `home`, which must be empty or absent;
 * with `force`, a home in the way is moved aside (to HOME.before-restore-<time>), never
 * deleted, and only when no server runs on it.
 */
export function restoreSite(
  dir: string,
  home: string,
  options: { storeUrl?: string; force: boolean },
): { files: number; movedAside?: string } {
  const manifest = readManifest(dir);
  checkFiles(dir, manifest);
  if (manifest.store === 'postgres' && options.storeUrl === undefined)
    throw new SiteUsersError(
      'this backup holds a PostgreSQL store: name the database to restore it into with --store URL',
    );
  let movedAside: string | undefined;
  if (!isEmptyOrAbsent(home)) {
    if (!options.force)
      throw new SiteUsersError(
        `${home} is not empty; restore into a new folder, or add --force to move it aside first`,
      );
    const running = runningServers(home);
    if (running.length > 0)
      throw new SiteUsersError(
        `servers run on ${home} (pids ${running.map((s) => s.pid).join(', ')}): stop them first`,
      );
    movedAside = `${home}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(home, movedAside);
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  let files = 0;
  for (const file of manifest.files) {
    if (!file.path.startsWith(`${HOME_COPY}/`)) continue;
    const target = join(home, file.path.slice(HOME_COPY.length + 1));
    copyOne(join(dir, file.path), target);
    files++;
  }
  if (manifest.store === 'postgres' && options.storeUrl !== undefined) {
    const restored = spawnSync(
      findPostgresProgram('pg_restore'),
      [
        '--clean',
        '--if-exists',
        '--no-owner',
        `--dbname=${options.storeUrl}`,
        join(dir, STORE_DUMP),
      ],
      { encoding: 'utf8' },
    );
    if (restored.status !== 0)
      throw new SiteUsersError(
        `pg_restore failed: ${restored.stderr.trim() || restored.error?.message || 'no reason given'}`,
      );
  }
  return { files, ...(movedAside === undefined ? {} : { movedAside }) };
}
