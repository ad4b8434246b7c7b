/**
 * The load test's verdicts: one line per target of issue 24, "met" or "not met" with the figure,
 * from the runs of a sweep (users × clients per process).
 */

/** What a verdict needs of one run. */
export interface RunFigures {
  users: number;
  clientsPerProcess: number;
  clients: number;
  /** The server's CPU per steady-state operation, ms; null when nothing was measured. */
  cpuMsPerOperation: number | null;
  lastLoginMs: number;
  loggedIn: number;
  errors: number;
  sendsCompleted: number;
  storedOnceAndWhole: number;
}

/** Server CPU per operation with few users may be at most this much above more users'. */
export const MAX_CPU_RATIO = 1.2;
/** In the high-performance mode, every client of the burst logged in within this. */
export const MAX_BURST_MS = 2000;

const modeName = (clientsPerProcess: number): string =>
  clientsPerProcess === 1 ? '1 client per process' : `${clientsPerProcess} per process`;

const line = (met: boolean, text: string): string => `${met ? 'met    ' : 'not met'}  ${text}`;

/** The CPU-per-operation verdicts of one mode: the fewest users against each other count. */
function cpuVerdicts(runs: readonly RunFigures[]): string[] {
  const sorted = [...runs].sort((a, b) => a.users - b.users);
  const [fewest, ...others] = sorted;
  if (!fewest || fewest.cpuMsPerOperation === null) return [];
  const base = fewest.cpuMsPerOperation;
  return others.flatMap((other) => {
    if (other.cpuMsPerOperation === null || other.cpuMsPerOperation === 0) return [];
    const ratio = base / other.cpuMsPerOperation;
    return [
      line(
        ratio <= MAX_CPU_RATIO,
        `server CPU per operation, ${modeName(fewest.clientsPerProcess)}: --users ${fewest.users} ${base} ms is ${ratio.toFixed(2)}× --users ${other.users} (${other.cpuMsPerOperation} ms); target ≤ ${MAX_CPU_RATIO}×`,
      ),
    ];
  });
}

function runVerdicts(run: RunFigures): string[] {
  const where = `${modeName(run.clientsPerProcess)}, --users ${run.users}`;
  const lines = [
    line(run.errors === 0, `errors, ${where}: ${run.errors}; target 0`),
    line(
      run.storedOnceAndWhole === run.sendsCompleted,
      `stored once and whole, ${where}: ${run.storedOnceAndWhole} of ${run.sendsCompleted} completed sends`,
    ),
  ];
  if (run.clientsPerProcess > 1)
    lines.push(
      line(
        run.loggedIn === run.clients && run.lastLoginMs <= MAX_BURST_MS,
        `burst, ${where}: ${run.loggedIn} of ${run.clients} logged in, the last after ${Math.round(run.lastLoginMs)} ms; target all within ${MAX_BURST_MS} ms`,
      ),
    );
  return lines;
}

/** Every verdict of a sweep, a line each. */
export function verdicts(runs: readonly RunFigures[]): string[] {
  const modes = [...new Set(runs.map((run) => run.clientsPerProcess))];
  return [
    ...modes.flatMap((mode) => cpuVerdicts(runs.filter((run) => run.clientsPerProcess === mode))),
    ...runs.flatMap(runVerdicts),
  ];
}
