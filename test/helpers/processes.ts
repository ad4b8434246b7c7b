import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const distPath = (relative: string): string =>
  fileURLToPath(new URL(`../../dist/${relative}`, import.meta.url));

/**
 * Every Spawned process not yet exited. A worker runs many files (vitest.config.ts: isolate off),
 * so a process a failed test never stopped is killed when the worker ends, not left running.
 */
const running = new Set<ChildProcess>();
const killRunning = (): void => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', killRunning);
// Vitest ends a worker process with SIGTERM: kill them, then end as that signal would.
process.once('SIGTERM', () => {
  killRunning();
  process.kill(process.pid, 'SIGTERM');
});

/** A spawned process with its output collected line by line. */
export class Spawned {
  readonly child: ChildProcess;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  #stdoutRaw = '';
  #stdoutRest = '';
  #stderrRest = '';
  readonly #listeners = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    command: string,
    args: string[],
    options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      running.delete(this.child);
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stdoutRaw += chunk;
      const lines = (this.#stdoutRest + chunk).split('\n');
      this.#stdoutRest = lines.pop() ?? '';
      this.stdoutLines.push(...lines);
      this.#notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.#stderrRest + chunk).split('\n');
      this.#stderrRest = lines.pop() ?? '';
      this.stderrLines.push(...lines);
      this.#notify();
    });
    if (options.input !== undefined) this.child.stdin?.end(options.input);
  }

  /** Everything written to stdout, exactly. */
  get stdout(): string {
    return this.#stdoutRaw;
  }

  /**
   * Resolves with the first line (stdout or stderr) that the predicate accepts, looking only at
   * lines after the first `since` lines of that stream.
   */
  waitForLine(
    predicate: (line: string) => boolean,
    timeoutMs = 15_000,
    stream: 'stdout' | 'stderr' | 'both' = 'both',
    since = 0,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const lines = (): string[] =>
        stream === 'stdout'
          ? this.stdoutLines.slice(since)
          : stream === 'stderr'
            ? this.stderrLines.slice(since)
            : [...this.stdoutLines, ...this.stderrLines];
      const check = (): boolean => {
        const found = lines().find(predicate);
        if (found === undefined) return false;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(found);
        return true;
      };
      const listener = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(
          new Error(
            `timed out waiting for a line; stdout:\n${this.stdout}\nstderr:\n${this.stderrLines.join('\n')}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#listeners.add(listener);
    });
  }

  /**
   * The JSON log records on stderr with this `msg` (pino's message field) and `fields`, in
   * order, after the first `since` lines.
   */
  records(msg: RecordMessage, fields: RecordFields = {}, since = 0): LogRecord[] {
    return this.stderrLines.slice(since).flatMap((line) => {
      const record = matchingRecord(line, msg, fields);
      return record ? [record] : [];
    });
  }

  /**
   * Resolves with the first JSON log record on stderr, after the first `since` lines, whose
   * `msg` is `msg` and whose fields match `fields` (a value compared with ===, or a test of
   * the value): the program's own structured event, not a search in its text.
   */
  async waitForRecord(
    msg: RecordMessage,
    fields: RecordFields = {},
    { timeoutMs = 15_000, since = 0 }: { timeoutMs?: number; since?: number } = {},
  ): Promise<LogRecord> {
    const line = await this.waitForLine(
      (text) => matchingRecord(text, msg, fields) !== undefined,
      timeoutMs,
      'stderr',
      since,
    );
    return JSON.parse(line) as LogRecord;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** One line of a program's JSON log (pino): its message and fields. */
export type LogRecord = { msg: string } & Record<string, unknown>;

/** A record's `msg`: the message itself (===), or a test of it for messages that carry counts. */
export type RecordMessage = string | ((msg: string) => boolean);

/** What a record's fields must be: a value (===) or a test of the value, by field name. */
export type RecordFields = Record<string, unknown>;

function matchingRecord(
  line: string,
  msg: RecordMessage,
  fields: RecordFields,
): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const fieldsOf = record as Record<string, unknown>;
  const text = typeof fieldsOf.msg === 'string' ? fieldsOf.msg : undefined;
  if (text === undefined || (typeof msg === 'function' ? !msg(text) : text !== msg))
    return undefined;
  for (const [name, expected] of Object.entries(fields)) {
    const actual = fieldsOf[name];
    const matches =
      typeof expected === 'function'
        ? (expected as (value: unknown) => boolean)(actual)
        : actual === expected;
    if (!matches) return undefined;
  }
  return record as LogRecord;
}

/** Runs a node script of dist/ to its end. */
export async function runNode(
  script: string,
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const process = new Spawned('node', [distPath(script), ...args], options);
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderrLines.join('\n') };
}
