/**
 * Every option of the mail server, declared once: its flag (and key in the configuration
 * file), default, help and type, and whether a SIGHUP applies it (reload: 'live') or only a
 * restart does. The command line (cli.ts), the configuration file (config-file.ts) and
 * --print-config are built from this table; `toServerOptions` turns its values into the
 * server's options. Keys are the flags' names: `max-sessions` in the file is --max-sessions.
 */
import { defaultPortOf, type ChannelKind } from '../../protocol/channel-kinds.js';
import { LOG_LEVELS } from '../../common/program.js';
import { parseAdminAddress } from '../observe/admin-http.js';
import { defaultServerOptions, type MailServerOptions } from '../server-options.js';
import { SESSION_IMAGES, SESSION_JIT } from '../session-image.js';
import { describePostgresUrl } from '../store/postgres-url.js';
import { isPostgresUrl, parseStoreSpec } from '../store/open-store.js';
import { choice, integer, parsed, text, type OptionSpec } from '../../common/option-kinds.js';
import { parseAddressExceptions } from '../address-exceptions.js';

const d = defaultServerOptions;
const seconds = (ms: number): number => ms / 1000;
const MIB = 1024 * 1024;

/** The table, for one protocol (the default port differs). */
export function serverOptionTable(kind: ChannelKind) {
  return {
    home: text({
      key: 'home',
      argument: '<dir>',
      help: "the server's folder: server_private.pem, server_public.pem, <user>_public.pem, user_pass.json and one inbox folder per user (required)",
      reload: 'restart',
    }),
    port: integer({
      key: 'port',
      argument: '<n>',
      help: 'TCP port; 0 picks a free one',
      default: defaultPortOf(kind),
      min: 0,
      max: 65535,
      reload: 'restart',
    }),
    host: text({
      key: 'host',
      argument: '<addr>',
      help: 'address to listen on',
      default: d.host,
      reload: 'restart',
    }),
    maxSessions: integer({
      key: 'max-sessions',
      argument: '<n>',
      help: 'concurrent sessions; more clients wait their turn',
      default: d.maxSessions,
      min: 1,
      reload: 'restart',
    }),
    maxUse: integer({
      key: 'max-use',
      argument: '<n>',
      help: 'sessions a process serves before it is replaced (1: a fresh process per client)',
      default: d.maxUse,
      min: 1,
      reload: 'restart',
    }),
    spare: integer({
      key: 'spare',
      argument: '<n>',
      help: 'idle session processes kept started ahead',
      default: d.spare,
      min: 0,
      reload: 'restart',
    }),
    maxSpare: integer({
      key: 'max-spare',
      argument: '<n>',
      help: 'idle session processes beyond this many are retired at once',
      default: d.maxSpare,
      min: 0,
      reload: 'restart',
    }),
    maxIdle: integer({
      key: 'max-idle',
      argument: '<secs>',
      help: 'an idle session process beyond --spare is retired after this long',
      default: seconds(d.maxIdleMs),
      min: 1,
      reload: 'restart',
    }),
    maxStarting: integer({
      key: 'max-starting',
      argument: '<n>',
      help: 'session processes started at once while spares are short: 1, then twice as many each time one is ready, up to this',
      default: d.maxStarting,
      min: 1,
      reload: 'restart',
    }),
    clientsPerProcess: integer({
      key: 'clients-per-process',
      argument: '<n>',
      help: 'clients one session process serves at once; above 1 is the high-performance mode (docs/SECURITY.md): a crash ends all its sessions, their keys share one address space',
      default: d.clientsPerProcess,
      min: 1,
      reload: 'restart',
    }),
    sessionImage: choice({
      key: 'session-image',
      argument: '<kind>',
      help: 'how session processes start: bundle (one file) or modules (the compiled modules)',
      default: d.sessionImage,
      choices: SESSION_IMAGES,
      reload: 'restart',
    }),
    sessionJit: choice({
      key: 'session-jit',
      argument: '<mode>',
      help: "V8's compilers in session processes: off (--jitless: less attack surface, more sessions per second here, slower on large emails) or on",
      default: d.sessionJit,
      choices: SESSION_JIT,
      reload: 'restart',
    }),
    maxQueue: integer({
      key: 'max-queue',
      argument: '<n>',
      help: 'clients allowed to wait for a session; beyond it new connections are closed',
      default: d.maxQueue,
      min: 0,
      reload: 'restart',
    }),
    idleTimeout: integer({
      key: 'idle-timeout',
      argument: '<secs>',
      help: 'end a session that sends no complete message for this long',
      default: seconds(d.idleTimeoutMs),
      min: 1,
      reload: 'restart',
    }),
    loginTimeout: integer({
      key: 'login-timeout',
      argument: '<secs>',
      help: 'close a connection that has not completed its login this long after connecting; until its first message it waits in the parent, not in a session process',
      default: seconds(d.loginTimeoutMs),
      min: 1,
      reload: 'live',
    }),
    maxWaiting: integer({
      key: 'max-waiting',
      argument: '<n>',
      help: 'connections that may wait in the parent for their first message at once (the waiting room)',
      default: d.maxWaiting,
      min: 1,
      reload: 'restart',
    }),
    maxPendingPerAddress: integer({
      key: 'max-pending-per-address',
      argument: '<n>',
      help: 'connections from one client address that have not completed a login; beyond it new ones are closed',
      default: d.maxPendingPerAddress,
      min: 1,
      reload: 'restart',
    }),
    addressLimitExceptions: parsed(
      {
        key: 'address-limit-exceptions',
        argument: '<list>',
        help: 'client addresses and networks, comma-separated (or none), whose connections --max-pending-per-address does not close: 127.0.0.1 and ::1 by default, from which the users and the web gateway of this host come; --max-logins-per-address, the login throttle and --max-sessions still apply',
        default: [...d.addressLimitExceptions],
        defaultText: d.addressLimitExceptions.join(','),
        show: (value: string[]) => (value.length === 0 ? 'none' : value.join(',')),
        reload: 'restart',
      },
      parseAddressExceptions,
    ),
    maxLoginsPerAddress: integer({
      key: 'max-logins-per-address',
      argument: '<n>',
      help: 'session processes one client address may hold before its logins complete; its other connections wait in the parent',
      default: d.maxLoginsPerAddress,
      min: 1,
      reload: 'restart',
    }),
    inboxQuotaMb: integer({
      key: 'inbox-quota-mb',
      argument: '<n>',
      help: 'megabytes of stored mail each inbox may hold; a copy beyond it is refused (and reported on the enhanced protocol)',
      default: d.inboxQuotaBytes / MIB,
      min: 1,
      reload: 'restart',
    }),
    throttleMaxEntries: integer({
      key: 'throttle-max-entries',
      argument: '<n>',
      help: 'entries the login throttle keeps before it prunes old ones',
      default: d.throttleMaxEntries,
      min: 1,
      reload: 'restart',
    }),
    store: parsed(
      {
        key: 'store',
        argument: '<store>',
        help: 'where mail and the login throttle are kept: "files" (the seed\'s inbox folders in the home; "maildir" is taken as it) or a PostgreSQL URL, postgres://user@host:port/database, that several hosts may share',
        default: d.store,
        reload: 'restart',
        show: (spec) => (isPostgresUrl(spec) ? `postgres://${describePostgresUrl(spec)}` : spec),
      },
      parseStoreSpec,
    ),
    logLevel: choice({
      key: 'log-level',
      argument: '<level>',
      help: 'diagnostics (JSON lines, ISO times) on stderr or in --log-file',
      default: d.logLevel,
      choices: LOG_LEVELS,
      reload: 'live',
    }),
    logFile: text({
      key: 'log-file',
      argument: '<file>',
      help: 'append the log to this file instead of stderr, and reopen it on SIGUSR1 (for logrotate)',
      reload: 'restart',
    }),
    adminListen: parsed(
      {
        key: 'admin-listen',
        argument: '<[host:]port>',
        help: 'serve /healthz, /readyz and /metrics (Prometheus) over HTTP here; a bare port listens on 127.0.0.1 (none unless given)',
        reload: 'restart',
        show: (address) => `${address.host}:${address.port}`,
      },
      parseAdminAddress,
    ),
  } satisfies Record<string, OptionSpec<never> | OptionSpec<unknown>>;
}

export type ServerOptionTable = ReturnType<typeof serverOptionTable>;

/** The value each option takes (undefined: not given, no default). */
export type ServerOptionValues = {
  [K in keyof ServerOptionTable]: ServerOptionTable[K] extends OptionSpec<infer T>
    ? K extends 'home' | 'logFile' | 'adminListen'
      ? T | undefined
      : T
    : never;
};

/** The server's options from the table's values (the units of the flags: seconds, MiB). */
export function toServerOptions(
  values: ServerOptionValues & { home: string },
  kind: ChannelKind,
): MailServerOptions {
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
    addressLimitExceptions: values.addressLimitExceptions,
    maxLoginsPerAddress: values.maxLoginsPerAddress,
    inboxQuotaBytes: values.inboxQuotaMb * MIB,
    throttleMaxEntries: values.throttleMaxEntries,
    store: values.store,
    logLevel: values.logLevel,
    ...(values.logFile === undefined ? {} : { logFile: values.logFile }),
    ...(values.adminListen === undefined ? {} : { adminListen: values.adminListen }),
  };
}
