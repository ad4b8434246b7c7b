/**
 * A session process: serves one client at a time, on sockets the parent hands over, so that a
 * crash or a hang in one session cannot touch another. The connection code is connection.ts.
 */
import { Socket } from 'node:net';
import { serveConnection } from './connection.js';
import { connectionContext } from './context.js';
import { loadServerHome } from './home.js';
import { announce, createLogger } from './log.js';
import { openMailStore } from './store/open-store.js';
import { parentThrottle } from './throttle-ipc.js';
import {
  isToWorker,
  isWorkerConfig,
  type FromWorker,
  type ThrottleAnswer,
  type ToWorker,
} from './worker-protocol.js';

const config: unknown = JSON.parse(process.argv[2] ?? 'null');
if (!isWorkerConfig(config) || !process.send) {
  process.stderr.write(
    'worker: this process is started by the mail server, with its configuration\n',
  );
  process.exit(2);
}

function tell(message: FromWorker): void {
  process.send?.(message);
}

const log = createLogger(config.logLevel, { role: 'session' });
const home = loadServerHome(config.home);
const throttleAnswers: ((answer: ThrottleAnswer) => void)[] = [];
const context = connectionContext({
  channel: config.channel,
  home,
  store: openMailStore(config.store, home, log),
  throttle: parentThrottle(tell, (listener) => throttleAnswers.push(listener)),
  log,
  announce,
  idleTimeoutMs: config.idleTimeoutMs,
  maxFrameBytes: config.maxFrameBytes,
  maxInboxBytes: config.maxInboxBytes,
});

function onSession(message: Extract<ToWorker, { type: 'session' }>, handle: unknown): void {
  if (!(handle instanceof Socket)) {
    log.error('session message arrived without a socket');
    tell({ type: 'done' });
    return;
  }
  const preread = Buffer.from(message.preread, 'base64');
  serveConnection(handle, preread, message.loginDeadlineMs, context, () => {
    tell({ type: 'logged-in' });
  }).then(
    () => {
      tell({ type: 'done' });
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'session failed');
      process.exit(1);
    },
  );
}

process.on('message', (message: unknown, handle: unknown) => {
  if (!isToWorker(message)) return;
  if (message.type === 'exit') process.exit(0);
  else if (message.type === 'login-admission')
    for (const listener of throttleAnswers) listener(message);
  else onSession(message, handle);
});

// The parent is gone (even by kill -9): no one will hand out sessions or reap us.
process.on('disconnect', () => process.exit(0));
tell({ type: 'ready' });
