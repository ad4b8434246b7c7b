import type { ErrorCode } from '../messages.js';
import { isProtocolError } from '../../protocol/errors.js';

/** An error the gateway reports to the browser as `{type: 'error', code, message}`. */
export class GatewayError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
  }
}

/** Protocol errors that mean the TCP session to the mail server is gone. */
const SESSION_LOST = new Set([
  'CONNECTION_CLOSED',
  'TRUNCATED_FRAME',
  'IDLE_TIMEOUT',
  'FRAME_TOO_LARGE',
]);

/**
 * What the browser is told for an error of the protocol client. Sign-in failures get
 * distinct codes so that the UI can say what to fix: the password, the server, or the key.
 */
export function toGatewayError(error: unknown, during: 'signIn' | 'session'): GatewayError {
  if (error instanceof GatewayError) return error;
  if (!isProtocolError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new GatewayError('INTERNAL', `unexpected error: ${message}`, { cause: error });
  }
  const options = { cause: error };
  switch (error.code) {
    case 'LOGIN_REJECTED':
      return new GatewayError('WRONG_CREDENTIALS', 'Invalid username or password.', options);
    case 'CONNECT_FAILED':
      return new GatewayError('SERVER_UNREACHABLE', error.message, options);
    case 'MISSING_PRIVATE_KEY':
    case 'BAD_KEY':
      return new GatewayError('MISSING_KEY', error.message, options);
    case 'BAD_CIPHERTEXT':
      return during === 'signIn'
        ? new GatewayError(
            'MISSING_KEY',
            `the private key does not match this account (${error.message})`,
            options,
          )
        : new GatewayError(
            'SESSION_ENDED',
            `the session with the mail server broke: ${error.message}`,
            options,
          );
    case 'HANDSHAKE_FAILED':
    case 'RECORD_AUTH_FAILED':
      return during === 'signIn'
        ? new GatewayError(
            'SERVER_IDENTITY',
            `the mail server could not be verified: ${error.message}`,
            options,
          )
        : new GatewayError(
            'SESSION_ENDED',
            `the session with the mail server broke: ${error.message}`,
            options,
          );
    case 'INVALID_EMAIL':
      return new GatewayError('INVALID_EMAIL', error.message, options);
    case 'INVALID_INDEX':
      return new GatewayError('INVALID_INDEX', error.message, options);
    default:
      if (SESSION_LOST.has(error.code)) {
        return during === 'signIn'
          ? new GatewayError(
              'SERVER_UNREACHABLE',
              `the mail server closed the connection during sign-in (${error.message})`,
              options,
            )
          : new GatewayError(
              'SESSION_ENDED',
              `the connection to the mail server was lost (${error.message})`,
              options,
            );
      }
      return new GatewayError(
        during === 'signIn' ? 'SERVER_UNREACHABLE' : 'SESSION_ENDED',
        error.message,
        options,
      );
  }
}
