import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  stop: () => Promise<void>;
}

/**
 * Starts the built mail server as its own process on a loopback port (0 picks a free one),
 * resolving once it listens (it must log at level info, which prints the port). Its stdout goes
 * to `stdout` (ignored by default).
 */
export async function spawnMailServer(options: {
  home: string;
  port?: number;
  enhanced?: boolean;
  args?: string[];
  /** Options for Node itself (e.g. --cpu-prof), which session processes inherit. */
  nodeArgs?: string[];
  stdout?: 'inherit' | 'ignore';
  /** Echo the server's diagnostics: all, only warnings and errors, or none (default). */
  stderr?: 'inherit' | 'warnings' | 'ignore';
}): Promise<ServerProcess> {
  const script = fileURLToPath(
    new URL(
      options.enhanced ? '../../mail-server/main-enhanced.js' : '../../mail-server/main.js',
      import.meta.url,
    ),
  );
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      script,
      '--home',
      options.home,
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] },
  );
  const stderr = createInterface({ input: child.stderr });
  const port = await new Promise<number>((resolve, reject) => {
    const failed = (): void => {
      reject(new Error('the mail server exited before listening'));
    };
    child.once('exit', failed);
    stderr.on('line', (line) => {
      if (
        options.stderr === 'inherit' ||
        (options.stderr === 'warnings' && /"level":[4-6]\d/.test(line))
      ) {
        process.stderr.write(`${line}\n`);
      }
      if (!line.includes('"msg":"listening"')) return;
      child.off('exit', failed);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    child,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Resident memory of a process, in MiB, from /proc. */
export function residentMiB(pid: number): number | undefined {
  try {
    const status = readProc(`/proc/${pid}/status`);
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Proportional set size of a process (its own pages, and its share of pages shared with others), in MiB. */
export function proportionalMiB(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readProc(`/proc/${pid}/smaps_rollup`));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** User and system CPU a process has used so far, in ms (from /proc, in clock ticks of 10 ms). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Minor page faults a process has taken so far (from /proc). */
export function minorFaults(pid: number): number | undefined {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return undefined;
  }
}

/** The whole machine's CPU time so far, in clock ticks, from the first line of /proc/stat. */
export function machineTicks(): { user: number; system: number; idle: number; iowait: number } {
  const firstLine = readProc('/proc/stat').split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = firstLine
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { user: user + nice, system: system + irq + softirq, idle, iowait };
}

/** The direct children of a process, from /proc. */
export function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readProc(`/proc/${entry}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

const readProc = (path: string): string => readFileSync(path, 'utf8');
const readDir = (path: string): string[] => readdirSync(path);
