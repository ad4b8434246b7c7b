/**
 * A program's command line built from its option table (option-kinds.ts): one flag per option,
 * with `--config FILE` and `--print-config` beside them. A mistake, on the command line or in
 * the file, is said in one line followed by USAGE_HINT, and ends the program with exit code 2;
 * --help and --version end it with 0. The mail servers and the gateway read theirs here.
 */
import { Command, CommanderError, Option } from 'commander';
import { readConfigFile, resolveOptions, type Resolved } from './config-file.js';
import type { OptionSpec } from './option-kinds.js';

export const USAGE_HINT = 'Run with --help for the options';

type Table = Record<string, OptionSpec<unknown>>;

/** Says what is wrong and where the usage is, not the whole help (it would push the error off screen). */
export function usageError(message: string): never {
  process.stderr.write(`${message}\n${USAGE_HINT}\n`);
  process.exit(2);
}

/**
 * Adds the table's flags, then --config (described by `configHelp`) and --print-config.
 * A live option's help says that a SIGHUP rereads it.
 */
export function addTableOptions(command: Command, table: Table, configHelp: string): Command {
  for (const spec of Object.values(table)) {
    const live = spec.reload === 'live' ? '; reread on SIGHUP from --config' : '';
    // Commander shows no default that has no value: one said in words goes in the help.
    const inWords =
      spec.default === undefined && spec.defaultText !== undefined
        ? ` (default: ${spec.defaultText})`
        : '';
    const option = new Option(`--${spec.key} ${spec.argument}`, `${spec.help}${live}${inWords}`);
    if (spec.default !== undefined) option.default(spec.default, spec.defaultText);
    if (spec.choices) option.choices(spec.choices);
    else if (spec.repeatable) {
      // Each repetition adds its values to those before it (the default, at first).
      option.argParser((text: string, previous: unknown) => [
        ...(Array.isArray(previous) ? (previous as unknown[]) : []),
        ...(spec.fromText(text) as unknown[]),
      ]);
    } else option.argParser(spec.fromText);
    command.addOption(option);
  }
  return command
    .addOption(new Option('--config <file>', configHelp))
    .addOption(
      new Option(
        '--print-config',
        'print every option, its effective value and where it came from (default, file, flag), then exit',
      ),
    );
}

export interface TableCommandLine<V> {
  resolved: Resolved<V>;
  configPath: string | undefined;
  printConfig: boolean;
  /** The flags as given, to resolve again against the file at a reload. */
  flags: Partial<V>;
  given: Set<string>;
}

/**
 * Reads the command line and the --config file into each option's value and its source;
 * exits 2 with one line on a mistake, 0 after --help or --version.
 */
export async function readTableCommandLine<V extends Record<string, unknown>>(
  command: Command,
  table: Table,
  argv: readonly string[],
): Promise<TableCommandLine<V>> {
  command.exitOverride().showHelpAfterError(USAGE_HINT).allowExcessArguments(false);
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end with exit code 0; a usage mistake with 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  const all = command.opts<Partial<V> & { config?: string; printConfig?: boolean }>();
  const given = new Set(
    Object.keys(table).filter((name) => command.getOptionValueSource(name) === 'cli'),
  );
  let fromFile: Record<string, unknown> = {};
  if (all.config !== undefined) {
    try {
      fromFile = await readConfigFile(all.config, table);
    } catch (error) {
      usageError(`error: --config ${(error as Error).message}`);
    }
  }
  return {
    resolved: resolveOptions<V>(table, all, given, fromFile),
    configPath: all.config,
    printConfig: all.printConfig === true,
    flags: all,
    given,
  };
}
