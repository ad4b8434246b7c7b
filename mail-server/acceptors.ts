import type { FramedSocket } from '../protocol/framing.js';
import type { ServerHome } from './home.js';
import type { Logger } from './log.js';
import { acceptEnhancedLogin } from './enhanced-login.js';
import { acceptClassicLogin, type LoggedIn } from './login.js';
import type { ChannelKind } from './worker-protocol.js';

/**
 * The server's side of a login, per channel kind: it ends with a logged-in user and a channel
 * for the session layer, or undefined when the login was refused (and the socket closed).
 */
export type LoginAcceptor = (
  framed: FramedSocket,
  home: ServerHome,
  log: Logger,
  peer: string,
) => Promise<LoggedIn | undefined>;

export const loginAcceptors: Readonly<Record<ChannelKind, LoginAcceptor | undefined>> = {
  classic: acceptClassicLogin,
  enhanced: acceptEnhancedLogin,
};
