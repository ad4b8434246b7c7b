/**
 * What a running server leaves in its home's `.run/` folder for the administrator's command
 * (scripts/admin.ts): `<kind>-<pid>.pid`, so that it can be told to reload (SIGHUP), and what
 * it is asked to do at that reload: `unlock-<pid>`, the users whose login locks to lift, one a
 * line; and what became of its last reload: `<kind>-<pid>.reload`, so that the command can say
 * whether it took.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  appendWhole,
  readRegularFile,
  removeFileDurably,
  writeFileSafely,
} from '../common/safe-files.js';
import { USERNAME_PATTERN } from '../protocol/limits.js';

export const runFolder = (home: string): string => join(home, '.run');

const pidFileName = (kind: string): string => `${kind}-${process.pid}.pid`;

const PID_FILE = /^([a-z]+)-(\d+)\.pid$/;

/** The servers running on a home (kind and pid); pid files of processes gone are removed. */
export function runningServers(home: string): { kind: string; pid: number }[] {
  let names: string[];
  try {
    names = readdirSync(runFolder(home));
  } catch {
    return [];
  }
  const servers: { kind: string; pid: number }[] = [];
  for (const name of names) {
    const [, kind = '', digits = ''] = PID_FILE.exec(name) ?? [];
    if (kind === '') continue;
    const pid = Number(digits);
    try {
      process.kill(pid, 0);
      servers.push({ kind, pid });
    } catch {
      rmSync(join(runFolder(home), name), { force: true });
    }
  }
  return servers;
}

export function writePidFile(home: string, kind: string): void {
  mkdirSync(runFolder(home), { recursive: true, mode: 0o700 });
  writeFileSafely(runFolder(home), pidFileName(kind), `${process.pid}\n`, {
    mode: 0o600,
    place: 'replace',
  });
}

export function removePidFile(home: string, kind: string): void {
  rmSync(join(runFolder(home), pidFileName(kind)), { force: true });
  rmSync(join(runFolder(home), reportName(kind, process.pid)), { force: true });
}

/** The users this process was asked to unlock, the request taken away. */
export function takeUnlockRequests(home: string): string[] {
  const name = `unlock-${process.pid}`;
  const data = readRegularFile(join(runFolder(home), name), 64 * 1024);
  if (!data) return [];
  removeFileDurably(runFolder(home), name);
  return [
    ...new Set(
      data
        .toString('utf8')
        .split('\n')
        .filter((line) => USERNAME_PATTERN.test(line)),
    ),
  ];
}

/** What became of a server's reloads: how many so far, and the last one's outcome. */
export interface ReloadReport {
  count: number;
  ok: boolean;
  users?: number;
  error?: string;
}

const reportName = (kind: string, pid: number): string => `${kind}-${pid}.reload`;

export function readReloadReport(home: string, kind: string, pid: number): ReloadReport {
  const data = readRegularFile(join(runFolder(home), reportName(kind, pid)), 64 * 1024);
  if (!data) return { count: 0, ok: true };
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Partial<ReloadReport>;
    return typeof parsed.count === 'number' && typeof parsed.ok === 'boolean'
      ? (parsed as ReloadReport)
      : { count: 0, ok: true };
  } catch {
    return { count: 0, ok: true };
  }
}

export function writeReloadReport(home: string, kind: string, report: ReloadReport): void {
  writeFileSafely(runFolder(home), reportName(kind, process.pid), JSON.stringify(report), {
    mode: 0o600,
    place: 'replace',
  });
}

/**
 * Who is logged in (`admin who`): each session process leaves `.run/sessions/<pid>-<n>.json`
 * for each of its logged-in sessions and removes it when the session ends. A process that died
 * without removing its files (kill -9) is found by its pid and its files dropped.
 */
export interface SessionRecord {
  user: string;
  peer: string;
  channel: string;
  /** ISO time of the login. */
  since: string;
  pid: number;
}

const sessionsFolder = (home: string): string => join(runFolder(home), 'sessions');
const sessionFileName = (connection: number): string => `${process.pid}-${connection}.json`;
const SESSION_FILE = /^(\d+)-(\d+)\.json$/;

export function writeSessionFile(
  home: string,
  connection: number,
  record: Omit<SessionRecord, 'pid'>,
): void {
  mkdirSync(sessionsFolder(home), { recursive: true, mode: 0o700 });
  writeFileSafely(
    sessionsFolder(home),
    sessionFileName(connection),
    JSON.stringify({ ...record, pid: process.pid }),
    { mode: 0o600, place: 'replace' },
  );
}

export function removeSessionFile(home: string, connection: number): void {
  rmSync(join(sessionsFolder(home), sessionFileName(connection)), { force: true });
}

const isSessionRecord = (value: unknown): value is SessionRecord => {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.user === 'string' &&
    USERNAME_PATTERN.test(record.user) &&
    typeof record.peer === 'string' &&
    typeof record.channel === 'string' &&
    typeof record.since === 'string' &&
    typeof record.pid === 'number'
  );
};

/** The sessions logged in now, oldest first; files of processes gone are removed. */
export function loggedInSessions(home: string): SessionRecord[] {
  let names: string[];
  try {
    names = readdirSync(sessionsFolder(home));
  } catch {
    return [];
  }
  const sessions: SessionRecord[] = [];
  for (const name of names) {
    const pid = Number(SESSION_FILE.exec(name)?.[1] ?? NaN);
    if (!Number.isSafeInteger(pid)) continue;
    const path = join(sessionsFolder(home), name);
    try {
      process.kill(pid, 0);
    } catch (error) {
      // EPERM: alive, and another user's; only a process that is gone loses its sessions.
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(path, { force: true });
        continue;
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readRegularFile(path, 4096)?.toString('utf8') ?? 'null');
    } catch {
      continue;
    }
    if (isSessionRecord(parsed) && parsed.pid === pid) sessions.push(parsed);
  }
  return sessions.sort((a, b) => a.since.localeCompare(b.since));
}

/** Asks a session process to end a user's sessions (`admin kick`); it is then sent SIGUSR2. */
export function requestKick(home: string, pid: number, user: string): void {
  appendWhole(join(runFolder(home), `kick-${pid}`), `${user}\n`, { mode: 0o600, durable: false });
}

/** The users this session process was asked to end the sessions of, the request taken away. */
export function takeKickRequests(home: string): string[] {
  const name = `kick-${process.pid}`;
  const data = readRegularFile(join(runFolder(home), name), 64 * 1024);
  if (!data) return [];
  rmSync(join(runFolder(home), name), { force: true });
  return data
    .toString('utf8')
    .split('\n')
    .filter((line) => USERNAME_PATTERN.test(line));
}
