export { createLogger } from '../protocol/program.js';
export { announce } from './announce.js';

/** A log call: fields and a message, or a message alone (as pino takes them). */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What the mail server logs through: pino's logger (createLogger) in the parent, or the
 * session process's own light one (session-log.ts), which writes the same JSON lines.
 */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}
