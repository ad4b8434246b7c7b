/**
 * The logger of processes started per session (the mail server's session processes, the
 * gateway's session children): JSON lines on stderr in pino's format (level number, time, pid,
 * the process's bindings, the fields, msg), written synchronously so that a line written just
 * before the process dies is not lost. Long-lived processes use pino itself (createLogger in
 * program.ts); a per-session process needs none of pino's other parts, and starts quicker
 * without them.
 */
import { writeSync } from 'node:fs';

/** A log call: fields and a message, or a message alone (as pino takes them). */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/** What pino's logger and this one both are, for the code that logs through either. */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}

const LEVELS = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20 } as const;
type LevelName = keyof typeof LEVELS;

const isLevelName = (name: string): name is LevelName => Object.hasOwn(LEVELS, name);

/** Errors as pino's serializer writes them; everything else as JSON has it. */
function serializeErrors(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { type: value.name, message: value.message, stack: value.stack };
}

function jsonLine(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, serializeErrors);
  } catch {
    // A field that JSON cannot hold (a cycle, a BigInt): the line keeps its message.
    return JSON.stringify({
      level: record.level,
      time: record.time,
      pid: record.pid,
      msg: record.msg,
    });
  }
}

/** Where lines go: stderr unless a writer is given (a log file's). */
const toStderr = (line: string): void => {
  writeSync(2, line);
};

export function createLightLogger(
  level: string,
  bindings: Record<string, unknown>,
  write: (line: string) => void = toStderr,
): Logger {
  const threshold = isLevelName(level) ? LEVELS[level] : LEVELS.info;
  const base = { pid: process.pid, ...bindings };
  const at = (name: LevelName): LogFn => {
    const value = LEVELS[name];
    if (value < threshold) return () => undefined;
    return (first: object | string, message?: string): void => {
      const fields = typeof first === 'string' ? {} : first;
      const msg = typeof first === 'string' ? first : message;
      const record = { level: value, time: new Date().toISOString(), ...base, ...fields, msg };
      write(`${jsonLine(record)}\n`);
    };
  };
  return {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}
