/** Where PostgreSQL's client programs are: on PATH, else Debian's /usr/lib/postgresql/<v>/bin. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBin } from './lib/postgres-cluster.js';
import { SiteUsersError } from './user-pass.js';

export function findPostgresProgram(name: 'pg_dump' | 'pg_restore'): string {
  if (spawnSync(name, ['--version']).status === 0) return name;
  const bin = findPostgresBin();
  if (bin !== undefined && existsSync(join(bin, name))) return join(bin, name);
  throw new SiteUsersError(
    `${name} is not installed (not on PATH, nor in /usr/lib/postgresql/*/bin): apt-get install postgresql-client`,
  );
}
