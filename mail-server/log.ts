export { createLogger } from '../common/program.js';
export { announce } from './announce.js';

/**
 * What the mail server logs through: pino's logger (createLogger) in the parent, or the
 * session process's light one (common/light-log.ts), which writes the same JSON lines.
 */
export type { LogFn, Logger } from '../common/light-log.js';
