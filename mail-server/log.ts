import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Diagnostics go to stderr as JSON lines; stdout carries only the specification's own lines.
 * Synchronous, so that a line written just before a process dies is not lost.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings } },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** The specification's server lines (E.2, F.3, I.1) on stdout. */
export function announce(line: string): void {
  process.stdout.write(`${line}\n`);
}
