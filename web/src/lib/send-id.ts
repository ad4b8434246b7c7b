import { GatewayRequestError } from './gateway-client.js';

/**
 * A send id for one email (gateway/messages.ts `sendId`): 16 random bytes as 22 characters of
 * base64url. Each try of that email carries the same one, so a server of session version 5
 * stores it once however often it is tried.
 */
export function newSendId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The send's answer was lost, not refused: the session ended, the gateway went away or never
 * answered. The email may have been stored, so it is neither sent nor unsent.
 */
export function isUnknownOutcome(error: unknown): boolean {
  return (
    error instanceof GatewayRequestError &&
    (error.code === 'SESSION_ENDED' ||
      error.code === 'DISCONNECTED' ||
      error.code === 'TIMEOUT' ||
      error.code === 'CONNECTION_LOST')
  );
}

/** A send refused because the mail server cannot be reached now: nothing was sent. */
export function isServerDown(error: unknown): boolean {
  return error instanceof GatewayRequestError && error.code === 'SERVER_DOWN';
}

/** The connection to the mail server broke under a send: the session is connecting again. */
export function isConnectionLost(error: unknown): boolean {
  return error instanceof GatewayRequestError && error.code === 'CONNECTION_LOST';
}

/** Said when a send's connection broke: it goes again, with its id, when the server is back. */
export function resendWhenBackText(title: string): string {
  const named = title === '' ? 'Your email' : `“${title}”`;
  return `${named} may have been delivered: the connection to the mail server broke before it said so. It is sent again with the same id as soon as the server is back, and the server keeps a single copy.`;
}

export const NOT_SENT_SERVER_DOWN =
  'Not sent: the mail server cannot be reached right now. Your email is kept here; send it again when the server is back.';

/** What the page says of an email whose answer was lost, until a session is back to send it again. */
export function uncertainText(title: string): string {
  const named = title === '' ? 'Your email' : `“${title}”`;
  return `${named} may have been delivered: the connection was lost before the server said so. It is not back in your drafts. After you sign in with the enhanced protocol it is sent again with the same id, and the server keeps a single copy.`;
}
