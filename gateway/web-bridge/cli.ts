/** The command line of the web gateway. */
import { versionLine } from '../../common/version.js';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { integerArgument, LOG_LEVELS, parseCommandLine } from '../../common/program.js';
import {
  defaultDataDir,
  defaultGatewayOptions,
  DEFAULT_WEB_ROOT,
  resolveServers,
  type GatewayOptions,
  type ServerList,
} from './config.js';
import {
  AddressError,
  parseHostPort,
  parseHostPortList,
  refuseAs,
  type AddressRules,
} from '../../common/host-port.js';
import {
  DEFAULT_ENHANCED_PORT as ENHANCED_PORT,
  DEFAULT_MAIL_PORT as CLASSIC_PORT,
  type ServerAddress,
} from './server-address.js';

const DEFAULT_LISTEN_PORT = 8080;

/** A command-line argument read by common/host-port.ts; commander prints the refusal. */
function addressArgument<T>(parse: (text: string) => T) {
  return (value: string): T =>
    refuseAs(
      () => parse(value),
      (message) => new InvalidArgumentError(message),
    );
}

/** One address, or several separated by commas, tried in turn. */
function addressListArgument(defaultPort: number) {
  return addressArgument((value): ServerList => {
    const [first, ...others] = parseHostPortList(value, { defaultPort });
    // parseHostPortList refuses an empty list: this is for the type.
    if (!first) throw new AddressError('no host was named');
    return [first, ...others];
  });
}

/**
 * HOST:PORT to listen on; port 0 (any free port) is fine here, though never a mail server's,
 * and a port alone (`--listen 8080`) is that port on 127.0.0.1.
 */
const LISTEN_RULES: AddressRules = {
  defaultPort: DEFAULT_LISTEN_PORT,
  anyPort: true,
  hostForBarePort: '127.0.0.1',
};
const listenArgument = addressArgument((value): ServerAddress =>
  parseHostPort(value, LISTEN_RULES),
);

function keysArgument(value: string): string {
  const folder = resolve(value);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new InvalidArgumentError(`${folder} is not a folder`);
  return folder;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function gatewayCommand(): Command {
  const d = defaultGatewayOptions;
  return new Command('gateway')
    .description('The local web gateway between a browser and the mail server.')
    .version(versionLine())
    .requiredOption(
      '--keys <dir>',
      "the users' keys: <user>_private.pem and server_public.pem in DIR, or one sub-folder per user (DIR/<user>/), as the key generator writes",
      keysArgument,
    )
    .addOption(
      new Option(
        '--listen <host:port>',
        'where the browser connects; port 0 picks one, and a port alone is on 127.0.0.1',
      )
        .default(
          { host: '127.0.0.1', port: DEFAULT_LISTEN_PORT },
          `127.0.0.1:${DEFAULT_LISTEN_PORT}`,
        )
        .argParser(listenArgument),
    )
    .addOption(
      new Option(
        '--server <host[:port],...>',
        'the mail server used when a sign-in names none; several hosts of one site are tried in turn until one answers',
      )
        .default(d.classicServers, `127.0.0.1:${CLASSIC_PORT}`)
        .argParser(addressListArgument(CLASSIC_PORT)),
    )
    .addOption(
      new Option(
        '--enhanced-server <host[:port],...>',
        'the enhanced mail server (or servers) used when an enhanced sign-in names none',
      )
        .default(undefined, `the --server hosts, port ${ENHANCED_PORT}`)
        .argParser(addressListArgument(ENHANCED_PORT)),
    )
    .addOption(
      new Option(
        '--poll <secs>',
        'check the inbox for new mail this often where the server cannot push it; 0 never',
      )
        .default(d.pollSeconds)
        .argParser(integerArgument(0)),
    )
    .addOption(
      new Option(
        '--trash-days <days>',
        'keep deleted emails in the Trash this long, then delete them on the server; 0 at the next sign-in',
      )
        .default(d.trashDays)
        .argParser(integerArgument(0)),
    )
    .addOption(
      new Option('--idle-timeout <secs>', 'sign out a browser session idle this long')
        .default(d.idleTimeoutSeconds)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--detached-grace <secs>',
        'keep a signed-in session this long after its last page closed (a reload, a tab reopened)',
      )
        .default(d.detachedGraceSeconds)
        .argParser(integerArgument(0)),
    )
    .addOption(new Option('--web-root <dir>', 'the built UI').default(DEFAULT_WEB_ROOT, 'web/dist'))
    .addOption(
      new Option('--data <dir>', 'where the local Sent folders are kept, DIR/<user>/sent/').default(
        undefined,
        '.gateway-data in the --keys folder',
      ),
    )
    .addOption(
      new Option('--allow-host <name>', 'another name this gateway may be reached by (repeatable)')
        .default([], 'none')
        .argParser(collect),
    )
    .addOption(
      new Option(
        '--sign-in-limit <n>',
        `wrong passwords a username may have in a row before each further one makes it wait: 1 s, then twice as long each time, at most ${d.signInBackoff.maxLockMs / 60_000} min`,
      )
        .default(d.signInBackoff.freeFailures)
        .argParser(integerArgument(0)),
    )
    .addOption(
      new Option('--max-sessions <n>', 'signed-in browser sessions at a time')
        .default(d.maxSessions)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-sockets-per-address <n>',
        'browser connections (tabs) at a time from one address',
      )
        .default(d.maxSocketsPerAddress)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option(
        '--max-anonymous-connections <n>',
        'connections at a time without the cookie (from anyone on this machine); beyond it the oldest is closed',
      )
        .default(d.maxAnonymousConnections)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option('--headers-timeout <secs>', "a request's headers must arrive within this time")
        .default(d.headersTimeoutMs / 1000)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option('--request-timeout <secs>', 'a whole request must arrive within this time')
        .default(d.requestTimeoutMs / 1000)
        .argParser(integerArgument(1)),
    )
    .addOption(
      new Option('--spare <n>', 'session processes started ahead of sign-ins')
        .default(d.spareChildren)
        .argParser(integerArgument(0)),
    )
    .addOption(
      new Option('--log-level <level>', 'diagnostics on stderr (JSON lines)')
        .default('warn')
        .choices(LOG_LEVELS),
    );
}

interface ParsedOptions {
  keys: string;
  listen: ServerAddress;
  server: ServerList;
  enhancedServer?: ServerList;
  poll: number;
  trashDays: number;
  idleTimeout: number;
  detachedGrace: number;
  webRoot: string;
  data?: string;
  allowHost: string[];
  signInLimit: number;
  maxSessions: number;
  maxSocketsPerAddress: number;
  maxAnonymousConnections: number;
  headersTimeout: number;
  requestTimeout: number;
  spare: number;
  logLevel: string;
}

export interface GatewayCommandLine {
  listen: ServerAddress;
  logLevel: string;
  options: GatewayOptions;
}

/** Reads the command line; exits 2 with the usage on a mistake, 0 after printing --help. */
export function parseGatewayArgs(argv: readonly string[]): GatewayCommandLine {
  const values = parseCommandLine(gatewayCommand(), argv).opts<ParsedOptions>();
  return {
    listen: values.listen,
    logLevel: values.logLevel,
    options: {
      keysDir: values.keys,
      // Unless named, the enhanced servers are the classic ones' hosts on the enhanced port.
      servers: resolveServers({
        classic: values.server,
        ...(values.enhancedServer === undefined ? {} : { enhanced: values.enhancedServer }),
      }),
      webRoot: resolve(values.webRoot),
      pollSeconds: values.poll,
      trashDays: values.trashDays,
      idleTimeoutSeconds: values.idleTimeout,
      detachedGraceSeconds: values.detachedGrace,
      allowedHosts: [values.listen.host, ...values.allowHost],
      dataDir: values.data === undefined ? defaultDataDir(values.keys) : resolve(values.data),
      signInBackoff: { ...defaultGatewayOptions.signInBackoff, freeFailures: values.signInLimit },
      maxSessions: values.maxSessions,
      maxSocketsPerAddress: values.maxSocketsPerAddress,
      maxAnonymousConnections: values.maxAnonymousConnections,
      headersTimeoutMs: values.headersTimeout * 1000,
      requestTimeoutMs: values.requestTimeout * 1000,
      spareChildren: values.spare,
    },
  };
}
