/**
 * What every program of the project (servers, clients, gateway, scripts) shares beyond the
 * wire: how an integer option is read, and where diagnostics go.
 */
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { pino, type Logger } from 'pino';

export type { Logger };

/** A commander argument parser for a whole number in [min, max]. */
export function integerArgument(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const number = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected a whole number of at least ${min}`
          : `expected a whole number from ${min} to ${max}`,
      );
    }
    return number;
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug'] as const;

/**
 * Diagnostics go to stderr as JSON lines; stdout is kept for what the program says to its
 * user (the specification's lines, a sign-in link). Synchronous, so that a line written just
 * before a process dies is not lost.
 */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}

/**
 * For the command-line tools (admin, keygen, keyring), not the servers: a reader that closes the
 * output early (`admin users list | head -1`) ends the program quietly, as Unix tools end, rather
 * than with an EPIPE stack. Any other error on stdout is thrown as before.
 */
export function endQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/**
 * Parses a program's command line. `--help` prints the usage (every option with its default)
 * and exits 0; a mistake prints what is wrong and the usage, and exits 2.
 */
export function parseCommandLine(command: Command, argv: readonly string[]): Command {
  command.exitOverride().showHelpAfterError().allowExcessArguments(false);
  try {
    return command.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exit(
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2,
    );
  }
}

/** As parseCommandLine, for programs whose commands run asynchronously (and are awaited). */
export async function parseCommandLineAsync(
  command: Command,
  argv: readonly string[],
): Promise<void> {
  const overrideAll = (each: Command): void => {
    each.exitOverride();
    for (const sub of each.commands) overrideAll(sub);
  };
  // One line on what is wrong and one on where the usage is, not the whole help.
  const hint = `(${command.name()} --help for the usage)`;
  const hintAll = (each: Command): void => {
    each.showHelpAfterError(hint);
    for (const sub of each.commands) hintAll(sub);
  };
  command.allowExcessArguments(false);
  hintAll(command);
  overrideAll(command);
  try {
    await command.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exit(
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2,
    );
  }
}
