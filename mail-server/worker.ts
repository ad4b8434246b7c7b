/**
 * A session child: serves one client at a time, on sockets the parent hands over,
 * so that a crash or a hang in one session cannot touch another.
 */
import { Socket } from 'node:net';
import { FramedSocket } from '../protocol/framing.js';
import { isProtocolError } from '../protocol/errors.js';
import { serverLines } from '../protocol/texts.js';
import { loadServerHome } from './home.js';
import { announce, createLogger } from './log.js';
import type { LoggedIn } from './login.js';
import { loginAcceptors } from './acceptors.js';
import { runSession } from './session.js';
import { isToWorker, type FromWorker, type WorkerConfig } from './worker-protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const log = createLogger(config.logLevel, { role: 'session' });
const home = loadServerHome(config.home);
const acceptorForChannel = loginAcceptors[config.channel];
if (!acceptorForChannel) throw new Error(`no login for the ${config.channel} channel`);
const acceptLogin = acceptorForChannel;

function tell(message: FromWorker): void {
  process.send?.(message);
}

async function serve(socket: Socket, preread: Buffer): Promise<void> {
  // Every exchange is a small message followed by a wait for the answer: Nagle's algorithm
  // with delayed ACKs would add up to 40 ms to each reply that follows another write.
  socket.setNoDelay(true);
  const framed = new FramedSocket(socket, {
    idleTimeoutMs: config.idleTimeoutMs,
    maxFrameBytes: config.maxFrameBytes,
    initialData: preread,
  });
  const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let loggedIn: LoggedIn | undefined;
  try {
    loggedIn = await acceptLogin(framed, home, log, peer);
    if (!loggedIn) return;
    log.info({ peer, user: loggedIn.user.name }, 'session started');
    await runSession({ home, user: loggedIn.user, channel: loggedIn.channel, log });
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    log.info(
      { peer, user: loggedIn?.user.name, code: error.code, reason: error.message },
      'session ended',
    );
    if (loggedIn) announce(serverLines.terminating(loggedIn.user.name));
  } finally {
    framed.destroy();
  }
}

process.on('message', (message: unknown, handle: unknown) => {
  if (!isToWorker(message)) return;
  if (message.type === 'exit') process.exit(0);
  if (!(handle instanceof Socket)) {
    log.error('session message arrived without a socket');
    tell({ type: 'done' });
    return;
  }
  const preread = Buffer.from(message.preread, 'base64');
  log.debug(
    { preread: preread.length, peer: `${handle.remoteAddress ?? '?'}:${handle.remotePort ?? '?'}` },
    'connection received',
  );
  serve(handle, preread).then(
    () => {
      tell({ type: 'done' });
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'session failed');
      process.exit(1);
    },
  );
});

// The parent is gone (even by kill -9): no one will hand out sessions or reap us.
process.on('disconnect', () => process.exit(0));
tell({ type: 'ready' });
