/**
 * The bench's targets, each with the figure that decides it, and the one line per target the
 * bench ends with: met or not met, and the figure. A target whose part did not run, or whose
 * figure is missing, says so instead of passing.
 */
export interface Target {
  part: string;
  /** What the target promises, as a person reads it. */
  name: string;
  /** The figure, read from the part's JSON. */
  figure: (part: Record<string, unknown>) => number | undefined;
  limit: number;
  unit: 'ms';
}

const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** The figure whose key ends with `suffix` (the push figures name their settings). */
const endingWith = (part: Record<string, unknown>, suffix: string): number | undefined =>
  number(Object.entries(part).find(([key]) => key.endsWith(suffix))?.[1]);

/** Idle sessions cost the server no work: pushed sessions over the floor of idle processes. */
const IDLE_MARGIN_MS = 100;

export const TARGETS: readonly Target[] = [
  {
    part: 'gateway',
    name: 'sign-in to the first inbox listing, p50',
    figure: (part) => number(part.signin_to_first_inbox_p50_ms),
    limit: 150,
    unit: 'ms',
  },
  {
    part: 'gateway',
    name: "what the gateway adds to a read's round trip, p50",
    figure: (part) => number(part.read_gateway_overhead_p50_ms),
    limit: 10,
    unit: 'ms',
  },
  {
    part: 'push',
    name: 'new mail in the browser, p99',
    figure: (part) => number(part.new_mail_to_browser_p99_ms),
    limit: 1000,
    unit: 'ms',
  },
  {
    part: 'push',
    name: "server CPU of idle pushed sessions beyond idle processes' own, over the run",
    figure: (part) => {
      const pushed = endingWith(part, '_pushed');
      const floor = endingWith(part, '_not_watching');
      return pushed === undefined || floor === undefined ? undefined : Math.max(0, pushed - floor);
    },
    limit: IDLE_MARGIN_MS,
    unit: 'ms',
  },
];

/** The JSON key each part's figures are kept under. */
const figureKey = (part: string): string => part.replace(/-/g, '_');

/** One line per target: "met" or "NOT MET" with the figure, or why there is no verdict. */
export function verdictLines(
  figures: Record<string, unknown>,
  ran: (part: string) => boolean,
): { lines: string[]; allMet: boolean } {
  let allMet = true;
  const lines = TARGETS.map((target) => {
    const head = `target ${target.part}: ${target.name} <= ${target.limit} ${target.unit}:`;
    if (!ran(target.part)) return `${head} not measured (part ${target.part} not run)`;
    const part = figures[figureKey(target.part)];
    const figure =
      typeof part === 'object' && part !== null
        ? target.figure(part as Record<string, unknown>)
        : undefined;
    if (figure === undefined) {
      allMet = false;
      return `${head} no figure (the part did not report it)`;
    }
    const met = figure <= target.limit;
    if (!met) allMet = false;
    return `${head} ${met ? 'met' : 'NOT MET'} (${Math.round(figure * 100) / 100} ${target.unit})`;
  });
  return { lines, allMet };
}
