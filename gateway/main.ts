#!/usr/bin/env node
/** `npm run gateway -- --keys DIR [...]`: the local web gateway between a browser and the mail server. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  defaultDataDir,
  defaultGatewayOptions,
  DEFAULT_WEB_ROOT,
  type GatewayOptions,
} from './web-bridge/config.js';
import { buildGateway } from './web-bridge/app.js';
import { GatewayError } from './web-bridge/errors.js';
import {
  DEFAULT_ENHANCED_PORT,
  formatServerAddress,
  parseServerAddress,
  type ServerAddress,
} from './web-bridge/server-address.js';

const USAGE = `Usage: npm run gateway -- --keys DIR [options]

  --keys DIR             the users' keys: <user>_private.pem and server_public.pem in DIR,
                         or one sub-folder per user (DIR/<user>/), as the key generator writes
  --listen HOST:PORT     where the browser connects (default 127.0.0.1:8080; port 0 picks one)
  --server HOST[:PORT]   the mail server used when a sign-in names none (default 127.0.0.1:13000);
                         several hosts of one site, HOST[:PORT],HOST[:PORT], are tried in turn
                         until one answers
  --enhanced-server HOST[:PORT]
                         the enhanced mail server (or servers) used when an enhanced sign-in
                         names none (default: the --server hosts, port 13001)
  --poll SECS            check the inbox for new mail this often; 0 never (default ${defaultGatewayOptions.pollSeconds})
  --idle-timeout SECS    sign out a browser session idle this long (default ${defaultGatewayOptions.idleTimeoutSeconds})
  --web-root DIR         the built UI (default web/dist)
  --data DIR             where the local Sent folders are kept, DIR/<user>/sent/
                         (default: .gateway-data in the --keys folder)
  --allow-host NAME      another name this gateway may be reached by (repeatable)
  --sign-in-limit N      wrong passwords a username may have in a row before each further one
                         makes it wait: 1 s, then twice as long each time, at most ${defaultGatewayOptions.signInBackoff.maxLockMs / 60_000} min
                         (default ${defaultGatewayOptions.signInBackoff.freeFailures})
  --max-sessions N       signed-in browser sessions at a time (default ${defaultGatewayOptions.maxSessions})
  --max-sockets-per-address N
                         browser connections (tabs) at a time from one address (default ${defaultGatewayOptions.maxSocketsPerAddress})
  --spare N              session processes started ahead of sign-ins (default ${defaultGatewayOptions.spareChildren})
  --log-level LEVEL      diagnostics on stderr: fatal, error, warn, info, debug (default warn)
  --help                 show this text`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, not "${value}"`);
  }
  return number;
}

function address(name: string, value: string, defaultPort: number): ServerAddress {
  try {
    return parseServerAddress(value, defaultPort);
  } catch (error) {
    if (error instanceof GatewayError) throw new UsageError(`--${name}: ${error.message}`);
    throw error;
  }
}

/** One address, or several separated by commas. */
function addresses(name: string, value: string, defaultPort: number): ServerAddress[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`--${name} names no server`);
  return items.map((item) => address(name, item, defaultPort));
}

interface Cli {
  listen: ServerAddress;
  logLevel: string;
  options: GatewayOptions;
}

function parseCli(argv: string[]): Cli | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      keys: { type: 'string' },
      listen: { type: 'string' },
      server: { type: 'string' },
      'enhanced-server': { type: 'string' },
      poll: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'web-root': { type: 'string' },
      data: { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      'sign-in-limit': { type: 'string' },
      'max-sessions': { type: 'string' },
      'max-sockets-per-address': { type: 'string' },
      spare: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (!values.keys) throw new UsageError('--keys DIR is required');
  const keysDir = resolve(values.keys);
  if (!existsSync(keysDir) || !statSync(keysDir).isDirectory())
    throw new UsageError(`--keys: ${keysDir} is not a folder`);
  const listenText = values.listen ?? '127.0.0.1:8080';
  // Port 0 (any free port) is fine to listen on, though never a mail server's address.
  const anyPort = listenText.endsWith(':0');
  const listen = address('listen', anyPort ? listenText.slice(0, -2) : listenText, 8080);
  if (anyPort) listen.port = 0;
  const [defaultServer = defaultGatewayOptions.defaultServer, ...fallbackServers] =
    values.server === undefined ? [] : addresses('server', values.server, 13000);
  const [defaultEnhancedServer, ...fallbackEnhancedServers] =
    values['enhanced-server'] === undefined
      ? [defaultServer, ...fallbackServers].map(({ host }) => ({
          host,
          port: DEFAULT_ENHANCED_PORT,
        }))
      : addresses('enhanced-server', values['enhanced-server'], DEFAULT_ENHANCED_PORT);
  return {
    listen,
    logLevel: values['log-level'] ?? 'warn',
    options: {
      keysDir,
      defaultServer,
      defaultEnhancedServer,
      fallbackServers,
      fallbackEnhancedServers,
      webRoot: values['web-root'] === undefined ? DEFAULT_WEB_ROOT : resolve(values['web-root']),
      pollSeconds: integer('poll', values.poll, defaultGatewayOptions.pollSeconds, 0),
      idleTimeoutSeconds: integer(
        'idle-timeout',
        values['idle-timeout'],
        defaultGatewayOptions.idleTimeoutSeconds,
        1,
      ),
      allowedHosts: [listen.host, ...(values['allow-host'] ?? [])],
      dataDir: values.data === undefined ? defaultDataDir(keysDir) : resolve(values.data),
      signInBackoff: {
        ...defaultGatewayOptions.signInBackoff,
        freeFailures: integer(
          'sign-in-limit',
          values['sign-in-limit'],
          defaultGatewayOptions.signInBackoff.freeFailures,
          0,
        ),
      },
      maxSessions: integer(
        'max-sessions',
        values['max-sessions'],
        defaultGatewayOptions.maxSessions,
        1,
      ),
      maxSocketsPerAddress: integer(
        'max-sockets-per-address',
        values['max-sockets-per-address'],
        defaultGatewayOptions.maxSocketsPerAddress,
        1,
      ),
      spareChildren: integer('spare', values.spare, defaultGatewayOptions.spareChildren, 0),
    },
  };
}

let cli: Cli | undefined;
try {
  cli = parseCli(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (!cli) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const logger = pino(
  { level: cli.logLevel, base: { pid: process.pid, role: 'gateway' } },
  pino.destination({ fd: 2, sync: true }),
);
const gateway = await buildGateway({ ...cli.options, logger });
try {
  await gateway.app.listen({ host: cli.listen.host, port: cli.listen.port });
} catch (error) {
  process.stderr.write(
    `gateway: cannot listen on ${formatServerAddress(cli.listen)}: ${(error as Error).message}\n`,
  );
  process.exit(1);
}
const bound = gateway.app.server.address();
const port = typeof bound === 'object' && bound !== null ? bound.port : cli.listen.port;
const shownHost =
  cli.listen.host === '0.0.0.0' || cli.listen.host === '::' ? '127.0.0.1' : cli.listen.host;
const url = `http://${formatServerAddress({ host: shownHost, port })}/?token=${gateway.token}`;
if (
  cli.listen.host !== '127.0.0.1' &&
  cli.listen.host !== '::1' &&
  cli.listen.host !== 'localhost'
) {
  process.stderr.write(
    `gateway: warning: listening on ${cli.listen.host}, not only on this machine\n`,
  );
}
logger.info(
  {
    port,
    defaultServer: formatServerAddress(gateway.config.defaultServer),
    dataDir: gateway.config.dataDir,
  },
  'listening',
);
process.stdout.write(`Sealed Mail gateway: open ${url}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`gateway: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
