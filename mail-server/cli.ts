/**
 * The command line of the mail server, for every channel kind: the options come from the
 * table (config/option-table.ts), given as flags or in a --config file (common/option-command.ts).
 */
import { exitWithParent } from '../common/exit-with-parent.js';
import { versionLine } from '../common/version.js';
import { Command } from 'commander';
import { pino } from 'pino';
import { channels, type ChannelKind } from '../protocol/channels.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { isServerError } from './errors.js';
import { announce, createLogger, type Logger } from './log.js';
import { MailServer, type MailServerOptions } from './server.js';
import { formatConfig, type Resolved } from '../common/config-file.js';
import {
  addTableOptions,
  readTableCommandLine,
  usageError,
  type TableCommandLine,
} from '../common/option-command.js';
import {
  serverOptionTable,
  toServerOptions,
  type ServerOptionValues,
} from './config/option-table.js';
import { liveChanges } from './config/live-options.js';
import { warnOnPostgresLimits } from './config/postgres-check.js';

function serverCommand(name: string, kind: ChannelKind): Command {
  const command = new Command(name)
    .description(`The forking mail server of the ${kind} protocol.`)
    .version(versionLine());
  return addTableOptions(
    command,
    serverOptionTable(kind),
    'read the options from this JSON file, keys named as the flags without dashes ("max-sessions": 250); flags given win over it; reread on SIGHUP',
  );
}

type CommandLine = TableCommandLine<ServerOptionValues>;

/** Reads the command line and the --config file; exits 2 with one line on a mistake, 0 after --help or --version. */
function readCommandLine(argv: string[], name: string, kind: ChannelKind): Promise<CommandLine> {
  return readTableCommandLine<ServerOptionValues>(
    serverCommand(name, kind),
    serverOptionTable(kind),
    argv,
  );
}

/** The server's options from what was read; exits 2 when --home is given nowhere. */
function serverOptionsOf(
  resolved: Resolved<ServerOptionValues>,
  kind: ChannelKind,
): MailServerOptions {
  const { home } = resolved.values;
  if (home === undefined)
    usageError(
      `error: required option '--home <dir>' not specified (or "home" in the --config file)`,
    );
  return toServerOptions({ ...resolved.values, home }, kind);
}

/** Where the parent's log goes: stderr, or --log-file (reopened on SIGUSR1). */
function openLog(options: MailServerOptions): {
  log: Logger & { level: string };
  reopen: () => void;
} {
  if (options.logFile === undefined) {
    return { log: createLogger(options.logLevel, { role: 'parent' }), reopen: () => undefined };
  }
  let destination: ReturnType<typeof pino.destination>;
  try {
    destination = pino.destination({ dest: options.logFile, sync: true, mkdir: false });
  } catch (error) {
    process.stderr.write(
      `mail server: cannot open the log file ${options.logFile}: ${(error as Error).message}; check the folder exists and this user may write there\n`,
    );
    process.exit(1);
  }
  return {
    log: createLogger(options.logLevel, { role: 'parent' }, destination),
    reopen: () => {
      try {
        destination.reopen();
      } catch (error) {
        // The old file stays open: no line is lost, and the operator is told why.
        process.stderr.write(
          `mail server: cannot reopen the log file ${options.logFile ?? ''}: ${(error as Error).message}\n`,
        );
      }
    },
  };
}

export async function runServerCli(argv: string[], name: string, kind: ChannelKind): Promise<void> {
  const line = await readCommandLine(argv, name, kind);
  if (line.printConfig) {
    process.stdout.write(formatConfig(serverOptionTable(kind), line.resolved, line.configPath));
    process.exit(0);
  }
  const options = serverOptionsOf(line.resolved, kind);
  const { log, reopen } = openLog(options);
  const failed = (error: unknown): never => {
    const message = isServerError(error)
      ? error.message
      : `cannot start: ${(error as Error).message}`;
    process.stderr.write(`mail server: ${message}\n`);
    process.exit(1);
  };
  const server = ((): MailServer => {
    try {
      return new MailServer(options, log);
    } catch (error) {
      return failed(error);
    }
  })();
  // Before the start: a signal sent as soon as the ready line is read must find its handler,
  // not the default action, which ends the process.
  handleSignals(server, { kind, line, log, reopen, logFile: options.logFile });
  try {
    await server.start();
    const identity = channels[kind].serverIdentityLine;
    if (identity) announce(identity(keyFingerprint(server.identity)));
  } catch (error) {
    failed(error);
  }
  void warnOnPostgresLimits(options, log);
}

function handleSignals(
  server: MailServer,
  context: {
    kind: ChannelKind;
    line: CommandLine;
    log: Logger & { level: string };
    reopen: () => void;
    logFile: string | undefined;
  },
): void {
  const { kind, line, log, reopen } = context;
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  exitWithParent(stop);
  // The administrator changed the users or the configuration: reread them, no restart.
  let current = line.resolved;
  process.on('SIGHUP', () => {
    void liveChanges(kind, line, current, log).then((changes) => {
      if (changes) {
        current = changes.resolved;
        if (changes.logLevel) log.level = changes.logLevel;
        server.applyLive(changes.live);
      }
      return server.reload();
    });
  });
  // logrotate moved the log file: write to a new one of the same name. Without a log file it
  // is ignored (and, handled, no longer opens Node's inspector as its default action would).
  process.on('SIGUSR1', () => {
    if (context.logFile === undefined) return;
    reopen();
    server.reopenLogs();
    log.info({ file: context.logFile }, 'log file reopened');
  });
}
