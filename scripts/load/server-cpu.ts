/**
 * The load test's CPU and memory accounting, from /proc: the clients' own CPU (this process),
 * each server process's (the parents and their session children), and the whole machine's.
 */
import {
  childPids,
  cpuMs,
  machineTicks,
  minorFaults,
  proportionalMiB,
} from '../lib/server-process.js';

/** The servers' processes: their pids, parents first. */
export const serverProcesses = (parents: readonly number[]): number[] => [
  ...parents,
  ...parents.flatMap(childPids),
];

/** The servers' session processes and their memory, as the kernel shares it out (PSS). */
export function serverMemory(parents: readonly number[]): {
  session_processes: number;
  total_pss_mib: number;
} {
  const pids = serverProcesses(parents);
  const total = pids.reduce((sum, pid) => sum + (proportionalMiB(pid) ?? 0), 0);
  return { session_processes: pids.length - parents.length, total_pss_mib: Math.round(total) };
}

export interface CpuReading {
  /** This process (the clients), in seconds. */
  clients: number;
  /** The servers' processes, in seconds, by pid. */
  server: Map<number, number>;
  /** Their minor page faults, by pid. */
  faults: Map<number, number>;
  machine: ReturnType<typeof machineTicks>;
}

/** CPU used so far by this process, by each server process and by the whole machine. */
export function readCpu(parents: readonly number[]): CpuReading {
  const own = process.cpuUsage();
  const pids = serverProcesses(parents);
  const server = new Map(pids.map((pid) => [pid, (cpuMs(pid) ?? 0) / 1000]));
  const faults = new Map(pids.map((pid) => [pid, minorFaults(pid) ?? 0]));
  return { clients: (own.user + own.system) / 1e6, server, faults, machine: machineTicks() };
}

const round = (value: number, places = 1): number =>
  Math.round(value * 10 ** places) / 10 ** places;

/** Seconds (or faults) the processes alive at both readings used between them. */
const delta = (before: Map<number, number>, after: Map<number, number>): number =>
  [...after].reduce(
    (sum, [pid, value]) => sum + (before.has(pid) ? value - (before.get(pid) ?? 0) : 0),
    0,
  );

/** The server's CPU seconds between two readings. */
export const serverSeconds = (start: CpuReading, end: CpuReading): number =>
  delta(start.server, end.server);

/**
 * The steady state's CPU: the clients', the servers' (summed over the processes alive at both
 * ends, which in session mode are all of them), the servers' page faults, and the whole
 * machine's split, which needs no process to be found.
 */
export function steadyCpuReport(start: CpuReading, end: CpuReading, operations: number) {
  const server = serverSeconds(start, end);
  const ticks = {
    user: end.machine.user - start.machine.user,
    system: end.machine.system - start.machine.system,
    idle: end.machine.idle - start.machine.idle,
    iowait: end.machine.iowait - start.machine.iowait,
  };
  const total = ticks.user + ticks.system + ticks.idle + ticks.iowait || 1;
  const percent = (part: number): number => Math.round((100 * part) / total);
  return {
    clients_seconds: round(end.clients - start.clients),
    server_seconds: round(server),
    server_ms_per_operation: operations > 0 ? round((server * 1000) / operations, 2) : null,
    server_page_faults_per_operation:
      operations > 0 ? Math.round(delta(start.faults, end.faults) / operations) : null,
    machine_percent: {
      user: percent(ticks.user),
      system: percent(ticks.system),
      iowait: percent(ticks.iowait),
      idle: percent(ticks.idle),
    },
  };
}
