/** The command line of the mail server, for every channel kind. */
import { exitWithParent } from '../common/exit-with-parent.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { channels, type ChannelKind } from '../protocol/channels.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { integerArgument, LOG_LEVELS, parseCommandLine } from '../protocol/program.js';
import { isServerError } from './errors.js';
import { announce, createLogger } from './log.js';
import { defaultServerOptions, MailServer, type MailServerOptions } from './server.js';
import { parseStoreSpec, type StoreSpec } from './store/open-store.js';
import {
  SESSION_IMAGES,
  SESSION_JIT,
  type SessionImageKind,
  type SessionJit,
} from './session-image.js';

const seconds = (ms: number): number => ms / 1000;
const MIB = 1024 * 1024;

function storeArgument(value: string): StoreSpec {
  try {
    return parseStoreSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function poolOption(flags: string, description: string, fallback: number, min: number): Option {
  return new Option(flags, description).default(fallback).argParser(integerArgument(min));
}

function serverCommand(name: string, kind: ChannelKind): Command {
  const d = defaultServerOptions;
  return new Command(name)
    .description(`The forking mail server of the ${kind} protocol.`)
    .requiredOption(
      '--home <dir>',
      "the server's folder: server_private.pem, server_public.pem, <user>_public.pem, user_pass.json and one inbox folder per user",
    )
    .addOption(
      new Option('--port <n>', 'TCP port; 0 picks a free one')
        .default(channels[kind].defaultPort)
        .argParser(integerArgument(0, 65535)),
    )
    .addOption(new Option('--host <addr>', 'address to listen on').default(d.host))
    .addOption(
      new Option('--max-sessions <n>', 'concurrent sessions; more clients wait their turn')
        .default(d.maxSessions)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-use <n>',
        'sessions a process serves before it is replaced (1: a fresh process per client)',
      )
        .default(d.maxUse)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option('--spare <n>', 'idle session processes kept started ahead')
        .default(d.spare)
        .argParser(integerArgument(0)),
    )
    .addOption(
      poolOption(
        '--max-spare <n>',
        'idle session processes beyond this many are retired at once',
        d.maxSpare,
        0,
      ),
    )
    .addOption(
      poolOption(
        '--max-idle <secs>',
        'an idle session process beyond --spare is retired after this long',
        seconds(d.maxIdleMs),
        1,
      ),
    )
    .addOption(
      poolOption(
        '--max-starting <n>',
        'session processes started at once while spares are short: 1, then twice as many each time one is ready, up to this',
        d.maxStarting,
        1,
      ),
    )
    .addOption(
      poolOption(
        '--clients-per-process <n>',
        'clients one session process serves at once; above 1 is the high-performance mode (docs/SECURITY.md): a crash ends all its sessions, their keys share one address space',
        d.clientsPerProcess,
        1,
      ),
    )
    .addOption(
      new Option(
        '--session-image <kind>',
        'how session processes start: bundle (one file) or modules (the compiled modules)',
      )
        .default(d.sessionImage)
        .choices(SESSION_IMAGES),
    )
    .addOption(
      new Option(
        '--session-jit <mode>',
        "V8's compilers in session processes: off (--jitless: less attack surface, more sessions per second here, slower on large emails) or on",
      )
        .default(d.sessionJit)
        .choices(SESSION_JIT),
    )
    .addOption(
      new Option(
        '--max-queue <n>',
        'clients allowed to wait for a session; beyond it new connections are closed',
      )
        .default(d.maxQueue)
        .argParser(integerArgument(0)),
    )
    .addOption(
      new Option(
        '--idle-timeout <secs>',
        'end a session that sends no complete message for this long',
      )
        .default(seconds(d.idleTimeoutMs))
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--login-timeout <secs>',
        'close a connection that has not completed its login this long after connecting; until its first message it waits in the parent, not in a session process',
      )
        .default(seconds(d.loginTimeoutMs))
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-waiting <n>',
        'connections that may wait in the parent for their first message at once (the waiting room)',
      )
        .default(d.maxWaiting)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-pending-per-address <n>',
        'connections from one client address that have not completed a login; beyond it new ones are closed',
      )
        .default(d.maxPendingPerAddress)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-logins-per-address <n>',
        'session processes one client address may hold before its logins complete; its other connections wait in the parent',
      )
        .default(d.maxLoginsPerAddress)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--inbox-quota-mb <n>',
        'megabytes of stored mail each inbox may hold; a copy beyond it is refused (and reported on the enhanced protocol)',
      )
        .default(d.inboxQuotaBytes / MIB)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--throttle-max-entries <n>',
        'entries the login throttle keeps before it prunes old ones',
      )
        .default(d.throttleMaxEntries)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--store <store>',
        'where mail and the login throttle are kept: "files" (the seed\'s inbox folders in the home; "maildir" is taken as it) or a PostgreSQL URL, postgres://user@host:port/database, that several hosts may share',
      )
        .default(d.store)
        .argParser(storeArgument),
    )
    .addOption(
      new Option('--log-level <level>', 'diagnostics on stderr (JSON lines)')
        .default(d.logLevel)
        .choices(LOG_LEVELS),
    );
}

interface ParsedOptions {
  home: string;
  port: number;
  host: string;
  maxSessions: number;
  maxUse: number;
  spare: number;
  maxSpare: number;
  maxIdle: number;
  maxStarting: number;
  clientsPerProcess: number;
  sessionImage: SessionImageKind;
  sessionJit: SessionJit;
  maxQueue: number;
  idleTimeout: number;
  loginTimeout: number;
  maxWaiting: number;
  maxPendingPerAddress: number;
  maxLoginsPerAddress: number;
  inboxQuotaMb: number;
  throttleMaxEntries: number;
  store: StoreSpec;
  logLevel: string;
}

/** Reads the command line; exits 2 with the usage on a mistake, 0 after printing --help. */
export function parseServerArgs(
  argv: string[],
  name: string,
  kind: ChannelKind,
): MailServerOptions {
  const values = parseCommandLine(serverCommand(name, kind), argv).opts<ParsedOptions>();
  return {
    ...defaultServerOptions,
    home: values.home,
    host: values.host,
    port: values.port,
    channel: kind,
    maxSessions: values.maxSessions,
    maxUse: values.maxUse,
    spare: values.spare,
    maxSpare: values.maxSpare,
    maxIdleMs: values.maxIdle * 1000,
    maxStarting: values.maxStarting,
    clientsPerProcess: values.clientsPerProcess,
    sessionImage: values.sessionImage,
    sessionJit: values.sessionJit,
    maxQueue: values.maxQueue,
    idleTimeoutMs: values.idleTimeout * 1000,
    loginTimeoutMs: values.loginTimeout * 1000,
    maxWaiting: values.maxWaiting,
    maxPendingPerAddress: values.maxPendingPerAddress,
    maxLoginsPerAddress: values.maxLoginsPerAddress,
    inboxQuotaBytes: values.inboxQuotaMb * MIB,
    throttleMaxEntries: values.throttleMaxEntries,
    store: values.store,
    logLevel: values.logLevel,
  };
}

export async function runServerCli(argv: string[], name: string, kind: ChannelKind): Promise<void> {
  const options = parseServerArgs(argv, name, kind);
  const log = createLogger(options.logLevel, { role: 'parent' });
  let server: MailServer;
  try {
    server = new MailServer(options, log);
    await server.start();
    const identity = channels[kind].serverIdentityLine;
    if (identity) announce(identity(keyFingerprint(server.identity)));
  } catch (error) {
    const message = isServerError(error)
      ? error.message
      : `cannot start: ${(error as Error).message}`;
    process.stderr.write(`mail server: ${message}\n`);
    process.exit(1);
  }
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  exitWithParent(stop);
  // The administrator changed the users (npm run admin, or an edit): reread them, no restart.
  process.on('SIGHUP', () => {
    void server.reload();
  });
}
