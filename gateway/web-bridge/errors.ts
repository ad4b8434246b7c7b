import type { ErrorCode } from '../messages.js';
import { isConnectionLost, isProtocolError } from '../../protocol/errors.js';
import { NotSealableError } from '../protocol-client/sealed-mail.js';
import { keyNotUnlocked } from '../sign-in-texts.js';

/** An error the gateway reports to the browser as `{type: 'error', code, message}`. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** RATE_LIMITED: how long to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export interface SignInContext {
  username: string;
  /** The server as the sign-in named it, HOST:PORT. */
  server: string;
}

const isFileError = (error: unknown): boolean =>
  error instanceof Error && typeof (error as NodeJS.ErrnoException).path === 'string';

const causeCode = (error: Error): string | undefined =>
  (error.cause as NodeJS.ErrnoException | undefined)?.code;

/**
 * What the browser is told when a sign-in fails: a distinct code, so that the UI can say what to
 * fix (the password, the server, or the key), and a fixed text. Nothing a foreign service sent
 * is repeated (the sign-in's server field must not become a port scanner that reads banners),
 * and no path of this machine is shown; the gateway's log has the details.
 */
export function signInFailure(error: unknown, { username, server }: SignInContext): GatewayError {
  if (error instanceof GatewayError) return error;
  const options = { cause: error };
  const noKey = new GatewayError(
    'MISSING_KEY',
    `this machine has no key for "${username}": the gateway's key folder needs ${username}_private.pem and server_public.pem, in it or in its ${username} folder`,
    options,
  );
  if (isFileError(error)) return noKey;
  if (!isProtocolError(error)) return new GatewayError('INTERNAL', 'the sign-in failed', options);
  switch (error.code) {
    // The server's refusal: on the classic protocol a wrong password and a stale server key
    // alike (the UI names both).
    case 'LOGIN_REJECTED':
      return new GatewayError('WRONG_CREDENTIALS', 'Invalid username or password.', options);
    // The password does not unlock the user's key on this machine, and nothing reached a
    // server (the message says so); counted by the gateway's sign-in throttle all the same.
    case 'WRONG_KEY_PASSPHRASE':
      return new GatewayError('WRONG_CREDENTIALS', keyNotUnlocked(username), options);
    case 'UNSAFE_KEY_FILE':
      return new GatewayError(
        'MISSING_KEY',
        `the private key of "${username}" on this machine can be read by other users or is not this user's; the gateway's log says which file and what to run`,
        options,
      );
    case 'MISSING_PRIVATE_KEY':
      return noKey;
    case 'BAD_KEY':
      return new GatewayError(
        'MISSING_KEY',
        `the key files for "${username}" in the gateway's key folder are not keys it can read`,
        options,
      );
    case 'BAD_CIPHERTEXT':
      return new GatewayError(
        'MISSING_KEY',
        `the private key for "${username}" on this machine does not match this account`,
        options,
      );
    case 'LOGIN_TOO_LONG':
      return new GatewayError(
        'BAD_REQUEST',
        'the username and password are too long for the server key',
        options,
      );
    case 'CONNECT_FAILED':
      return new GatewayError(
        'SERVER_UNREACHABLE',
        causeCode(error) === 'ECONNREFUSED'
          ? `${server} refused the connection`
          : `${server} could not be reached`,
        options,
      );
    case 'HANDSHAKE_FAILED':
    case 'RECORD_AUTH_FAILED':
      return new GatewayError(
        'SERVER_IDENTITY',
        `the server at ${server} was not verified as the mail server of server_public.pem`,
        options,
      );
    default:
      return new GatewayError(
        'SERVER_UNREACHABLE',
        `${server} did not answer as a mail server`,
        options,
      );
  }
}

/** What the browser is told when a request of a signed-in session fails. */
export function sessionFailure(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const options = { cause: error };
  if (error instanceof NotSealableError)
    return new GatewayError('NOT_SEALABLE', error.message, options);
  if (!isProtocolError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new GatewayError('INTERNAL', `unexpected error: ${message}`, options);
  }
  switch (error.code) {
    case 'INVALID_EMAIL':
      return new GatewayError('INVALID_EMAIL', error.message, options);
    case 'INVALID_INDEX':
      return new GatewayError('INVALID_INDEX', error.message, options);
    // A key that is not the one pinned, a keyring that cannot be used: the gateway refused, nothing was sent.
    case 'KEY_CHANGED':
      return new GatewayError('BAD_REQUEST', error.message, options);
    case 'BAD_KEY':
      return new GatewayError('INTERNAL', error.message, options);
    default:
      return new GatewayError(
        'SESSION_ENDED',
        isConnectionLost(error)
          ? `the connection to the mail server was lost (${error.message})`
          : `the session with the mail server broke: ${error.message}`,
        options,
      );
  }
}
