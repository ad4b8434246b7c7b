/**
 * The mail server's own errors, with stable codes (the protocol's are ProtocolError, in
 * protocol/errors.ts). Each is a reason the server cannot start or a store cannot serve.
 */
export type ServerErrorCode =
  /** A file of the server's home is missing or malformed; the message names it. */
  | 'HOME_FILE'
  /** A user's inbox cannot be used (not a folder, a symbolic link); the message names it. */
  | 'INBOX_FOLDER'
  /** The mail store cannot be reached or refused an operation. */
  | 'STORE_UNAVAILABLE';

export class ServerError extends Error {
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServerError';
    this.code = code;
  }
}

export function isServerError(error: unknown, code?: ServerErrorCode): error is ServerError {
  return error instanceof ServerError && (code === undefined || error.code === code);
}
