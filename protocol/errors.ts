/**
 * Typed errors with stable codes: callers and tests match on `code`, never on the message.
 * `fatal` says whether the connection can go on after the error.
 */
export type ProtocolErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'CONNECTION_CLOSED'
  | 'TRUNCATED_FRAME'
  | 'IDLE_TIMEOUT'
  | 'BAD_CIPHERTEXT'
  | 'BAD_UTF8'
  | 'BAD_KEY'
  | 'LOGIN_REJECTED'
  | 'LOGIN_TOO_LONG'
  | 'MISSING_PRIVATE_KEY'
  | 'WRONG_KEY_PASSPHRASE'
  | 'UNSAFE_KEY_FILE'
  | 'UNEXPECTED_MESSAGE'
  | 'NOT_SUPPORTED'
  | 'INVALID_EMAIL'
  | 'INVALID_SEALED_EMAIL'
  | 'KEY_CHANGED'
  | 'INVALID_INDEX'
  | 'CONNECT_FAILED'
  | 'NOT_A_MAIL_SERVER'
  | 'HANDSHAKE_FAILED'
  | 'RECORD_AUTH_FAILED';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly fatal: boolean;
  /** The few bytes received that the error is about (a frame header that is not one), when known. */
  readonly received: Buffer | undefined;

  constructor(
    code: ProtocolErrorCode,
    message: string,
    options?: { fatal?: boolean; cause?: unknown; received?: Buffer },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProtocolError';
    this.code = code;
    this.fatal = options?.fatal ?? true;
    this.received = options?.received;
  }
}

export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code);
}

/**
 * The codes that mean the connection itself went away (closed, cut in the middle of a frame,
 * silent for too long), as opposed to a peer that answered wrongly: the one list every end
 * uses to tell "the server is gone" from "the server misbehaved".
 */
const CONNECTION_LOST: ReadonlySet<ProtocolErrorCode> = new Set<ProtocolErrorCode>([
  'CONNECTION_CLOSED',
  'TRUNCATED_FRAME',
  'IDLE_TIMEOUT',
]);

export const isConnectionLost = (error: unknown): boolean =>
  isProtocolError(error) && CONNECTION_LOST.has(error.code);
