/**
 * One client connection, from its first byte to its end: the login of the server's channel
 * kind, then the menu. Everything it uses is passed in, so the same code serves a connection in
 * a session process (worker.ts) or in the parent itself (tests).
 */
import type { Socket } from 'node:net';
import { channels, type ChannelKind } from '../protocol/channels.js';
import { isProtocolError } from '../protocol/errors.js';
import { FramedSocket } from '../protocol/framing.js';
import { serveMenu } from '../protocol/operations/menu.js';
import { serverLines } from '../protocol/texts.js';
import type { Logger } from './log.js';
import { loginPolicy, type LoginContext } from './login-policy.js';
import { withRecordSummary } from './record-summary.js';
import { sessionHooks, type SessionContext } from './session.js';

export interface ConnectionContext {
  channel: ChannelKind;
  login: LoginContext;
  session: SessionContext;
  log: Logger;
  announce: (line: string) => void;
  /** A session that sends no complete message for this long is ended. */
  idleTimeoutMs: number;
  maxFrameBytes: number;
}

export const peerOf = (socket: Socket): string =>
  `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/**
 * Serves one connection. `preread` is what the parent read while screening; the login must
 * be complete within `loginDeadlineMs`, or the connection is closed (a refused login closes
 * it at once); `onLoggedIn` hears when it is, and who. Resolves when the connection is over; rejects
 * only on a bug.
 */
export async function serveConnection(
  socket: Socket,
  preread: Buffer,
  loginDeadlineMs: number,
  context: ConnectionContext,
  onLoggedIn: (user: string, peer: string) => void = () => undefined,
): Promise<void> {
  const { log, announce } = context;
  // Every exchange is a small message followed by a wait for the answer: Nagle's algorithm
  // with delayed ACKs would add up to 40 ms to each reply that follows another write.
  socket.setNoDelay(true);
  const framed = new FramedSocket(socket, {
    idleTimeoutMs: context.idleTimeoutMs,
    maxFrameBytes: context.maxFrameBytes,
    initialData: preread,
    endWaitsForPeer: false,
  });
  const peer = peerOf(socket);
  const login = { expired: false };
  const deadline = setTimeout(() => {
    login.expired = true;
    framed.destroy();
  }, loginDeadlineMs);
  // Set once "Connection Accepted" is printed: from then on, every end prints "Terminating".
  let announcedUser: string | undefined;
  const policy = loginPolicy(context.login, peer, (account) => {
    announcedUser = account.name;
  });
  try {
    const loggedIn = await channels[context.channel].serverLogin(framed, policy, peer);
    clearTimeout(deadline);
    if (!loggedIn) return;
    const user = loggedIn.account;
    onLoggedIn(user.name, peer);
    log.info({ peer, user: user.name }, 'session started');
    const channel = withRecordSummary(loggedIn.channel, user.name, announce);
    await serveMenu(channel, sessionHooks(context.session, user));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    log.info(
      {
        peer,
        user: announcedUser,
        code: login.expired ? 'LOGIN_TIMEOUT' : error.code,
        reason: login.expired ? `no login within ${loginDeadlineMs} ms` : error.message,
      },
      'session ended',
    );
    if (announcedUser !== undefined) announce(serverLines.terminating(announcedUser));
  } finally {
    clearTimeout(deadline);
    // An orderly end (terminate, a refused login) finishes in the background: the process is
    // free for its next client at once.
    framed.release();
  }
}
