import type { ChannelKind, ErrorCode, SessionEndReason } from '../../../gateway/messages.js';
import { NOTHING_SENT, refusalCauses } from '../../../gateway/sign-in-texts.js';

/** Errors the browser itself can meet, beside the gateway's codes. */
export type ClientErrorCode = ErrorCode | 'DISCONNECTED' | 'TIMEOUT';

export interface ErrorContext {
  username?: string;
  server?: string;
  /** The protocol a sign-in asked for: the enhanced server has a port of its own. */
  protocol?: ChannelKind;
  /** RATE_LIMITED: the seconds the gateway said to wait. */
  retryAfterSeconds?: number;
}

/** A wait in words: "1 second", "40 seconds", "about 3 minutes". */
export function waitText(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 90) return `${whole} ${whole === 1 ? 'second' : 'seconds'}`;
  return `about ${Math.ceil(whole / 60)} minutes`;
}

/**
 * Plain-language text for an error. Sign-in errors each say what went wrong and what to do;
 * the gateway's own message is used when this code has nothing better to say.
 */
export function describeError(
  code: ClientErrorCode,
  message: string,
  context: ErrorContext = {},
): string {
  const server =
    context.server !== undefined && context.server !== '' ? context.server : 'the mail server';
  switch (code) {
    case 'WRONG_CREDENTIALS':
      // Refused here (the password does not unlock the key), or by an enhanced server, which
      // was verified first: the password is what is wrong.
      if (message.includes(NOTHING_SENT) || context.protocol === 'enhanced')
        return 'The username or password is wrong. Check them and try again.';
      // A classic server answers a wrong password and a login sealed to another key alike.
      return `The server refused ${context.username ? `“${context.username}”` : 'the sign-in'}: the username or password may be wrong. ${refusalCauses(context.username ?? 'USER')} The classic protocol cannot tell these apart.`;
    case 'SERVER_UNREACHABLE':
      return context.protocol === 'enhanced'
        ? `Could not sign in at ${server}: it could not be reached or ended the connection. Check the address and that the server is running with the enhanced protocol (its port is usually 13001).`
        : `Could not reach ${server}, or it ended the connection. Check the address and that the mail server is running.`;
    case 'MISSING_KEY':
      // No key at all is what a mistyped name gets: said as no such user. A key that is there
      // and cannot be used is another matter, which the gateway's words say.
      if (message !== '' && !message.includes('has no key for'))
        return `The key of ${context.username ? `“${context.username}”` : 'that user'} on this computer cannot be used: ${message}.`;
      return context.username
        ? `There is no user “${context.username}” on this computer. Check the username; for a new user, the gateway’s key folder (--keys) needs ${context.username}_private.pem.`
        : 'There is no such user on this computer. Check the username.';
    case 'SERVER_IDENTITY':
      // A failed enhanced handshake: a server without the enhanced protocol on that port, or an impostor.
      return `The server at ${server} was not verified, so nothing was sent: it does not speak the enhanced protocol on that port (usually 13001), or it is not the server of server_public.pem.`;
    case 'UNVERIFIED_FALLBACK':
      return `${server} offered the enhanced protocol before, and its enhanced server does not answer now. To sign in with Classic anyway, without server verification, tick “Sign in without server verification”.`;
    case 'RATE_LIMITED':
      return context.retryAfterSeconds === undefined
        ? `The gateway is busy${message === '' ? '' : `: ${message}`}. Try again in a minute, or sign out of a session you no longer use.`
        : `Too many attempts. Wait ${waitText(context.retryAfterSeconds)}, then try again.`;
    case 'TOO_LARGE':
      return 'That is too large for the gateway to take.';
    case 'INVALID_EMAIL':
      return `The server refused this email: ${message}`;
    case 'NOT_SEALABLE':
      return `Not sent: ${message}`;
    case 'INVALID_INDEX':
      return 'That email is no longer in the inbox. The list has been refreshed.';
    case 'NOT_FOUND':
      return 'That email is no longer there.';
    case 'NOT_SUPPORTED':
      return 'This session cannot do that: it needs the enhanced protocol.';
    case 'NOT_SIGNED_IN':
    case 'SESSION_ENDED':
      return 'The session has ended. Sign in again to go on.';
    case 'ALREADY_SIGNED_IN':
      return 'This browser is already signed in.';
    case 'SERVER_DOWN':
      return 'The mail server cannot be reached, so nothing was done. Try again once it is back.';
    case 'CONNECTION_LOST':
      return 'The connection to the mail server broke before it answered.';
    case 'DISCONNECTED':
      return 'Lost the connection to the gateway on this computer.';
    case 'TIMEOUT':
      return 'The gateway did not answer in time.';
    case 'BAD_REQUEST':
    case 'INTERNAL':
      return `Something went wrong in the gateway: ${message}`;
  }
}

/** Why a session ended, said to the person. */
export function describeSessionEnd(
  reason: SessionEndReason | 'gatewayGone',
  message: string,
): string {
  switch (reason) {
    case 'signedOut':
      return message !== '' ? message : 'You signed out.';
    case 'passwordChanged':
      return message;
    case 'idle':
      return 'You were signed out after a period of inactivity.';
    case 'serverClosed':
      return 'The mail server closed the connection.';
    case 'processDied':
      return 'The session’s connection process stopped unexpectedly.';
    case 'gatewayGone':
      return 'The connection to the gateway on this computer was lost.';
    case 'error':
      return message !== ''
        ? `The session ended: ${message}`
        : 'The session ended because of an error.';
  }
}
