/**
 * A session process: serves clients on sockets the parent hands over, one at a time (the
 * default) or several at once (--clients-per-process), so that a crash or a hang in one session
 * cannot touch the clients of other processes. The connection code is connection.ts.
 *
 * Importing this module does no I/O; startSessionProcess does the work.
 */
import { createPublicKey } from 'node:crypto';
import { Socket } from 'node:net';
import {
  aesEcbDecrypt,
  aesEcbEncrypt,
  newSessionKey,
  rsaDecrypt,
  rsaEncrypt,
} from '../protocol/crypto.js';
import { serveConnection } from './connection.js';
import { connectionContext } from './context.js';
import type { ConnectionContext } from './connection.js';
import { loadServerHome, reloadHome, type ServerHome } from './home.js';
import { announce } from './announce.js';
import type { Logger } from './log.js';
import { createLightLogger } from '../common/light-log.js';
import { LogFile } from '../common/log-file.js';
import { reportingStore, type StoreReport } from './observe/store-report.js';
import { openMailStore } from './store/open-store.js';
import { removeSessionFile, takeKickRequests, writeSessionFile } from './run-files.js';
import { parentThrottle } from './throttle/ipc.js';
import {
  isToWorker,
  isWorkerConfig,
  type FromWorker,
  type SessionRequest,
  type ThrottleAnswer,
} from './worker-protocol.js';

function tell(message: FromWorker | StoreReport): void {
  process.send?.(message);
}

function serveSession(
  request: SessionRequest,
  handle: unknown,
  context: ConnectionContext,
  log: Logger,
  homeDir: string,
): void {
  const { connection } = request;
  if (!(handle instanceof Socket)) {
    log.error('session message arrived without a socket');
    tell({ type: 'done', connection });
    return;
  }
  const preread = Buffer.from(request.preread, 'base64');
  let listed = false;
  serveConnection(handle, preread, request.loginDeadlineMs, context, (user, peer) => {
    tell({ type: 'logged-in', connection });
    listed = listSession(homeDir, context.channel, connection, user, peer, log);
    loggedIn.set(connection, { user, socket: handle });
  }).then(
    () => {
      loggedIn.delete(connection);
      if (listed) removeSessionFile(homeDir, connection);
      tell({ type: 'done', connection });
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'session failed');
      process.exit(1);
    },
  );
}

/** This process's logged-in sessions, for `admin kick`. */
const loggedIn = new Map<number, { user: string; socket: Socket }>();

/** `admin kick`: ends the sessions of the users it named (their connections are closed). */
function kick(homeDir: string, log: Logger): void {
  const users = new Set(takeKickRequests(homeDir));
  for (const { user, socket } of loggedIn.values()) {
    if (!users.has(user)) continue;
    log.info({ user }, 'session ended by the administrator (admin kick)');
    socket.destroy();
  }
}

/** Lists the session for `admin who`; a failure to write costs the listing, never the session. */
function listSession(
  homeDir: string,
  channel: string,
  connection: number,
  user: string,
  peer: string,
  log: Logger,
): boolean {
  try {
    writeSessionFile(homeDir, connection, {
      user,
      peer,
      channel,
      since: new Date().toISOString(),
    });
    return true;
  } catch (error) {
    log.warn({ err: error }, 'the session could not be listed for admin who');
    return false;
  }
}

/**
 * Rereads the home's users, as the parent just did. A file broken since the parent checked it
 * must not leave this process logging in with old passwords: it stops, and the parent replaces
 * it (its sessions, if any, end).
 */
function reload(home: ServerHome, log: Logger): void {
  try {
    reloadHome(home);
  } catch (error) {
    log.error(
      { err: error },
      "the users or the server's keys could not be reread; this session process stops",
    );
    process.exit(1);
  }
}

/**
 * Pays, before the process says it is ready, what its first login would otherwise pay while a
 * client waits (profiled: about a tenth of a first classic login's time here): stdout's stream,
 * which Node makes at first use (the login's console line), and a first pass through the
 * login's cryptography (OpenSSL prepares a private key's blinding and Montgomery tables at its
 * first use; without V8's compilers every function is compiled to bytecode at its first call).
 */
function warmUp(home: ServerHome): void {
  // Its first use makes the stream; utf8 is what it writes anyway.
  process.stdout.setDefaultEncoding('utf8');
  const sessionKey = newSessionKey();
  const sealed = rsaEncrypt(createPublicKey(home.serverPrivateKey), sessionKey);
  const opened = rsaDecrypt(home.serverPrivateKey, sealed);
  aesEcbDecrypt(opened, aesEcbEncrypt(opened, Buffer.from('OK')));
  clearTimeout(setTimeout(() => undefined, 0));
}

/** Runs this process as a session process, with the configuration the parent passed (JSON). */
export async function startSessionProcess(configArgument: string | undefined): Promise<void> {
  const config: unknown = JSON.parse(configArgument ?? 'null');
  if (!isWorkerConfig(config) || !process.send) {
    process.stderr.write(
      'worker: this process is started by the mail server, with its configuration\n',
    );
    process.exit(2);
  }
  const logFile = config.logFile === undefined ? undefined : new LogFile(config.logFile);
  const log = createLightLogger(
    config.logLevel,
    { role: 'session' },
    logFile
      ? (line) => {
          logFile.write(line);
        }
      : undefined,
  );
  // A fault no session caught ends this process (the parent replaces it): said first, with the
  // stack, so that the administrator sees why a client's connection closed.
  const fail = (err: unknown): void => {
    log.fatal({ err }, 'session process failed; ending it');
    process.exit(70);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const home = loadServerHome(config.home);
  // The server checked every inbox at its start; one broken since must not stop every session.
  const store = await openMailStore(config.store, home, log, { checkEveryInbox: false });
  const throttleAnswers: ((answer: ThrottleAnswer) => void)[] = [];
  const context = connectionContext({
    channel: config.channel,
    home,
    store: config.reportStore ? reportingStore(store, tell) : store,
    throttle: parentThrottle(tell, (listener) => throttleAnswers.push(listener)),
    log,
    announce,
    idleTimeoutMs: config.idleTimeoutMs,
    maxFrameBytes: config.maxFrameBytes,
    maxInboxBytes: config.maxInboxBytes,
  });

  process.on('message', (message: unknown, handle: unknown) => {
    if (!isToWorker(message)) return;
    if (message.type === 'exit') process.exit(0);
    else if (message.type === 'reload') reload(home, log);
    else if (message.type === 'reopen-log') {
      const error = logFile?.reopen();
      if (error)
        log.error({ err: error.message }, 'the log file could not be reopened; writing on');
    } else if (message.type === 'login-admission')
      for (const listener of throttleAnswers) listener(message);
    else serveSession(message, handle, context, log, config.home);
  });

  process.on('SIGUSR2', () => {
    kick(config.home, log);
  });
  warmUp(home);
  // The parent is gone (even by kill -9): no one will hand out sessions or reap us.
  process.on('disconnect', () => process.exit(0));
  // A profile asked of Node (npm run load --server-node-args=--cpu-prof) is written at exit,
  // which the parent's SIGTERM would skip.
  if (process.execArgv.some((arg) => arg.startsWith('--cpu-prof')))
    process.on('SIGTERM', () => process.exit(0));
  tell({ type: 'ready' });
}
