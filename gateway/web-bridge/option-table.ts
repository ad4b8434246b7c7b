/**
 * Every option of the web gateway, declared once: its flag (and key in the configuration file),
 * default, help and type (common/option-kinds.ts). The command line (cli.ts), the --config file
 * and --print-config are built from this table; `toGatewayOptions` turns its values into the
 * gateway's options. Keys are the flags' names: `idle-timeout` in the file is --idle-timeout.
 * Relative folders, in the file as on the command line, are taken from the working directory.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AddressError,
  formatHostPortList,
  parseHostPort,
  parseHostPortList,
  type AddressRules,
} from '../../common/host-port.js';
import { LOG_LEVELS } from '../../common/program.js';
import {
  choice,
  integer,
  list,
  parsed,
  text,
  type OptionSpec,
  type TableValues,
} from '../../common/option-kinds.js';
import {
  defaultDataDir,
  defaultGatewayOptions as d,
  DEFAULT_WEB_ROOT,
  resolveServers,
  type GatewayOptions,
  type ServerList,
} from './config.js';
import {
  DEFAULT_ENHANCED_PORT as ENHANCED_PORT,
  DEFAULT_MAIL_PORT as CLASSIC_PORT,
  formatServerAddress,
  type ServerAddress,
} from './server-address.js';

const DEFAULT_LISTEN_PORT = 8080;

/**
 * HOST:PORT to listen on; port 0 (any free port) is fine here, though never a mail server's,
 * and a port alone (`--listen 8080`) is that port on 127.0.0.1.
 */
const LISTEN_RULES: AddressRules = {
  defaultPort: DEFAULT_LISTEN_PORT,
  anyPort: true,
  hostForBarePort: '127.0.0.1',
};

/** One address, or several separated by commas, tried in turn. */
function serverList(defaultPort: number) {
  return (value: string): ServerList => {
    const [first, ...others] = parseHostPortList(value, { defaultPort });
    // parseHostPortList refuses an empty list: this is for the type.
    if (!first) throw new AddressError('no host was named');
    return [first, ...others];
  };
}

function keysFolder(value: string): string {
  const folder = resolve(value);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new Error(`${folder} is not a folder`);
  return folder;
}

/** A name the Host header may carry: a host name or address, nothing that could hide a path. */
function hostName(value: string): string {
  if (!/^[A-Za-z0-9._:[\]-]{1,253}$/.test(value))
    throw new Error(`"${value}" is not a host name or address`);
  return value;
}

const showList = (servers: ServerList): string => formatHostPortList(servers);

export function gatewayOptionTable() {
  return {
    keys: parsed(
      {
        key: 'keys',
        argument: '<dir>',
        help: "the users' keys: <user>_private.pem and server_public.pem in DIR, or one sub-folder per user (DIR/<user>/), as the key generator writes (required)",
      },
      keysFolder,
    ),
    listen: parsed(
      {
        key: 'listen',
        argument: '<host:port>',
        help: 'where the browser connects; port 0 picks one, and a port alone is on 127.0.0.1',
        default: { host: '127.0.0.1', port: DEFAULT_LISTEN_PORT },
        defaultText: `127.0.0.1:${DEFAULT_LISTEN_PORT}`,
        show: formatServerAddress,
      },
      (value): ServerAddress => parseHostPort(value, LISTEN_RULES),
    ),
    server: parsed(
      {
        key: 'server',
        argument: '<host[:port],...>',
        help: 'the mail server used when a sign-in names none; several hosts of one site are tried in turn until one answers',
        default: d.classicServers,
        defaultText: `127.0.0.1:${CLASSIC_PORT}`,
        show: showList,
      },
      serverList(CLASSIC_PORT),
    ),
    enhancedServer: parsed(
      {
        key: 'enhanced-server',
        argument: '<host[:port],...>',
        help: 'the enhanced mail server (or servers) used when an enhanced sign-in names none',
        defaultText: `the --server hosts, port ${ENHANCED_PORT}`,
        show: showList,
      },
      serverList(ENHANCED_PORT),
    ),
    poll: integer({
      key: 'poll',
      argument: '<secs>',
      help: 'check the inbox for new mail this often where the server cannot push it; 0 never',
      default: d.pollSeconds,
      min: 0,
    }),
    trashDays: integer({
      key: 'trash-days',
      argument: '<days>',
      help: 'keep deleted emails in the Trash this long, then delete them on the server; 0 at the next sign-in',
      default: d.trashDays,
      min: 0,
    }),
    idleTimeout: integer({
      key: 'idle-timeout',
      argument: '<secs>',
      help: 'sign out a browser session idle this long',
      default: d.idleTimeoutSeconds,
      min: 1,
    }),
    detachedGrace: integer({
      key: 'detached-grace',
      argument: '<secs>',
      help: 'keep a signed-in session this long after its last page closed (a reload, a tab reopened)',
      default: d.detachedGraceSeconds,
      min: 0,
    }),
    webRoot: text({
      key: 'web-root',
      argument: '<dir>',
      help: 'the built UI',
      default: DEFAULT_WEB_ROOT,
      defaultText: 'web/dist',
    }),
    data: text({
      key: 'data',
      argument: '<dir>',
      help: 'where the local Sent folders are kept, DIR/<user>/sent/',
      defaultText: '.gateway-data in the --keys folder',
    }),
    allowHost: list(
      {
        key: 'allow-host',
        argument: '<name>',
        help: 'another name this gateway may be reached by (repeatable; an array in the file)',
        default: [],
        defaultText: 'none',
        max: 64,
      },
      hostName,
    ),
    signInLimit: integer({
      key: 'sign-in-limit',
      argument: '<n>',
      help: `wrong passwords a username may have in a row before each further one makes it wait: 1 s, then twice as long each time, at most ${d.signInBackoff.maxLockMs / 60_000} min`,
      default: d.signInBackoff.freeFailures,
      min: 0,
    }),
    maxSessions: integer({
      key: 'max-sessions',
      argument: '<n>',
      help: 'signed-in browser sessions at a time',
      default: d.maxSessions,
      min: 1,
    }),
    maxSocketsPerAddress: integer({
      key: 'max-sockets-per-address',
      argument: '<n>',
      help: 'browser connections (tabs) at a time from one address',
      default: d.maxSocketsPerAddress,
      min: 1,
    }),
    maxAnonymousConnections: integer({
      key: 'max-anonymous-connections',
      argument: '<n>',
      help: 'connections at a time without the cookie (from anyone on this machine); beyond it the oldest is closed',
      default: d.maxAnonymousConnections,
      min: 1,
    }),
    headersTimeout: integer({
      key: 'headers-timeout',
      argument: '<secs>',
      help: "a request's headers must arrive within this time",
      default: d.headersTimeoutMs / 1000,
      min: 1,
    }),
    requestTimeout: integer({
      key: 'request-timeout',
      argument: '<secs>',
      help: 'a whole request must arrive within this time',
      default: d.requestTimeoutMs / 1000,
      min: 1,
    }),
    spare: integer({
      key: 'spare',
      argument: '<n>',
      help: 'session processes started ahead of sign-ins',
      default: d.spareChildren,
      min: 0,
    }),
    logLevel: choice({
      key: 'log-level',
      argument: '<level>',
      help: 'diagnostics on stderr (JSON lines)',
      default: 'warn',
      choices: LOG_LEVELS,
    }),
  } satisfies Record<string, OptionSpec<never> | OptionSpec<unknown>>;
}

export type GatewayOptionTable = ReturnType<typeof gatewayOptionTable>;

/** The value each option takes (undefined: not given, no default). */
export type GatewayOptionValues = TableValues<
  GatewayOptionTable,
  'keys' | 'enhancedServer' | 'data'
>;

/** The gateway's options from the table's values (the units of the flags: seconds). */
export function toGatewayOptions(values: GatewayOptionValues & { keys: string }): GatewayOptions {
  return {
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
    signInBackoff: { ...d.signInBackoff, freeFailures: values.signInLimit },
    maxSessions: values.maxSessions,
    maxSocketsPerAddress: values.maxSocketsPerAddress,
    maxAnonymousConnections: values.maxAnonymousConnections,
    headersTimeoutMs: values.headersTimeout * 1000,
    requestTimeoutMs: values.requestTimeout * 1000,
    spareChildren: values.spare,
  };
}
