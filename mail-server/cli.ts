/** The command line shared by the classic and the enhanced mail server. */
import { parseArgs } from 'node:util';
import { HomeError } from './home.js';
import { createLogger } from './log.js';
import { defaultServerOptions, MailServer, type MailServerOptions } from './server.js';
import type { ChannelKind } from './worker-protocol.js';

export const serverUsage = (
  command: string,
  defaultPort: number,
): string => `Usage: ${command} -- --home DIR [options]

  --home DIR            the server's folder: server_private.pem, server_public.pem,
                        <user>_public.pem, user_pass.json and one inbox folder per user
  --port N              TCP port (default ${defaultPort})
  --host ADDR           address to listen on (default 0.0.0.0)
  --max-sessions N      concurrent sessions; more clients wait their turn (default 100)
  --max-use N           sessions a process serves before it is replaced (default 100;
                        1 gives every client a fresh process)
  --spare N             idle session processes kept started ahead (default 4)
  --max-queue N         clients allowed to wait for a session (default 1000)
  --idle-timeout SECS   end a session that sends nothing for this long (default 300)
  --login-timeout SECS  close a new connection that sends no login for this long (default 60);
                        until it does, a connection waits in the parent, not in a session process
  --log-level LEVEL     diagnostics on stderr: fatal, error, warn, info, debug (default info)
  --help                show this text`;

function positiveInteger(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new Error(`--${name} must be an integer of at least ${min}, not "${value}"`);
  }
  return number;
}

export function parseServerArgs(
  argv: string[],
  channel: ChannelKind,
  defaultPort: number,
): MailServerOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      home: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-sessions': { type: 'string' },
      'max-use': { type: 'string' },
      spare: { type: 'string' },
      'max-queue': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'login-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (!values.home) throw new Error('--home DIR is required');
  return {
    home: values.home,
    host: values.host ?? defaultServerOptions.host,
    port: positiveInteger('port', values.port, defaultPort, 0),
    channel,
    maxSessions: positiveInteger(
      'max-sessions',
      values['max-sessions'],
      defaultServerOptions.maxSessions,
    ),
    maxUse: positiveInteger('max-use', values['max-use'], defaultServerOptions.maxUse),
    spare: positiveInteger('spare', values.spare, defaultServerOptions.spare, 0),
    maxQueue: positiveInteger('max-queue', values['max-queue'], defaultServerOptions.maxQueue, 0),
    idleTimeoutMs:
      positiveInteger(
        'idle-timeout',
        values['idle-timeout'],
        defaultServerOptions.idleTimeoutMs / 1000,
      ) * 1000,
    loginTimeoutMs:
      positiveInteger(
        'login-timeout',
        values['login-timeout'],
        defaultServerOptions.loginTimeoutMs / 1000,
      ) * 1000,
    logLevel: values['log-level'] ?? defaultServerOptions.logLevel,
  };
}

export async function runServerCli(
  argv: string[],
  channel: ChannelKind,
  defaultPort: number,
  usage: string,
): Promise<void> {
  let options: MailServerOptions | undefined;
  try {
    options = parseServerArgs(argv, channel, defaultPort);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (!options) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const log = createLogger(options.logLevel, { role: 'parent' });
  let server: MailServer;
  try {
    server = new MailServer(options, log);
    await server.listen();
  } catch (error) {
    const message =
      error instanceof HomeError ? error.message : `cannot start: ${(error as Error).message}`;
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
}
