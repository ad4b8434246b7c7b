/**
 * Replies the main process makes itself for a browser session, beside those the child sends.
 */
import type { ErrorCode, KeyringEntry, Reply, SignedInSession } from '../messages.js';
import { GatewayError } from './errors.js';

export function errorReply(
  id: number | null,
  code: ErrorCode,
  message: string,
  retryAfterSeconds?: number,
): Reply {
  return retryAfterSeconds === undefined
    ? { type: 'error', id, code, message }
    : { type: 'error', id, code, message, retryAfterSeconds };
}

/** The session as a later page is told it, with a key the person has just verified. */
export function withVerified(session: SignedInSession, entry: KeyringEntry): SignedInSession {
  return {
    ...session,
    keyring: session.keyring.map((each) =>
      each.name === entry.name && each.fingerprint === entry.fingerprint ? entry : each,
    ),
  };
}

export function unverifiedFallback(missing: string): GatewayError {
  return new GatewayError(
    'UNVERIFIED_FALLBACK',
    `${missing} answered as this server's enhanced server before and does not answer now; someone may be blocking it. A classic sign-in cannot verify the server: choose it explicitly, or try again when the enhanced server answers`,
  );
}

/** What a `signedIn` reply says of the session, without the request it answered. */
export function sessionOf(reply: Extract<Reply, { type: 'signedIn' }>): SignedInSession {
  const session: Partial<Pick<typeof reply, 'type' | 'id'>> & SignedInSession = { ...reply };
  delete session.type;
  delete session.id;
  return session;
}
