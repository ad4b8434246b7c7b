/**
 * The command line of the web gateway: the options come from the table (option-table.ts),
 * given as flags or in a --config file (common/option-command.ts), flags winning.
 */
import { Command } from 'commander';
import { formatConfig } from '../../common/config-file.js';
import { addTableOptions, readTableCommandLine, usageError } from '../../common/option-command.js';
import { versionLine } from '../../common/version.js';
import type { GatewayOptions } from './config.js';
import { gatewayOptionTable, toGatewayOptions, type GatewayOptionValues } from './option-table.js';
import type { ServerAddress } from './server-address.js';

function gatewayCommand(): Command {
  const command = new Command('gateway')
    .description('The local web gateway between a browser and the mail server.')
    .version(versionLine());
  return addTableOptions(
    command,
    gatewayOptionTable(),
    'read the options from this JSON file, keys named as the flags without dashes ("idle-timeout": 900, "allow-host": ["mail.lab"]); flags given win over it',
  );
}

export interface GatewayCommandLine {
  listen: ServerAddress;
  logLevel: string;
  options: GatewayOptions;
}

/**
 * Reads the command line and the --config file. Exits 2 with one line on a mistake, 0 after
 * --help, --version or --print-config (which prints every value and where it came from).
 */
export async function parseGatewayArgs(argv: readonly string[]): Promise<GatewayCommandLine> {
  const table = gatewayOptionTable();
  const line = await readTableCommandLine<GatewayOptionValues>(gatewayCommand(), table, argv);
  if (line.printConfig) {
    process.stdout.write(formatConfig(table, line.resolved, line.configPath));
    process.exit(0);
  }
  const values = line.resolved.values;
  const { keys } = values;
  if (keys === undefined)
    usageError(
      `error: required option '--keys <dir>' not specified (or "keys" in the --config file)`,
    );
  return {
    listen: values.listen,
    logLevel: values.logLevel,
    options: toGatewayOptions({ ...values, keys }),
  };
}
