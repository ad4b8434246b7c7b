/**
 * The session child's use of the local Sent folder: a copy of each email sent, and any use of
 * the folder turned into an error the browser may be shown (no path of this machine).
 */
import { nowMicros } from '../../protocol/email.js';
import type { DeliveryReport, SendRequest } from '../messages.js';
import type { Account } from './email-views.js';
import { GatewayError } from './errors.js';
import { UnsafeFolderError } from './private-files.js';

/** The gateway's log, for what the browser is not shown. */
export type Warn = (details: Record<string, unknown>, message: string) => void;

/** Runs an operation on the Sent folder; a failure says what is wrong without a path of this machine. */
export function useSentFolder<T>(warn: Warn, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    warn({ err: error }, 'the Sent folder failed');
    const problem =
      error instanceof UnsafeFolderError
        ? `${error.message} (in the gateway's data folder)`
        : 'it could not be read or written';
    throw new GatewayError('INTERNAL', `the local Sent folder cannot be used: ${problem}`, {
      cause: error,
    });
  }
}

/**
 * A copy of a sent email in the local Sent folder. The email has gone already: a copy that
 * cannot be written is reported beside the `sent` reply, never as a failed send.
 */
export function keepCopy(
  warn: Warn,
  account: Account,
  request: SendRequest,
  outcome: { sealed: boolean; delivery?: DeliveryReport },
): { sentId: string } | { sentCopyProblem: string } {
  try {
    const sentId = useSentFolder(warn, () =>
      account.sent.keep({
        from: account.username,
        to: request.to,
        title: request.title,
        content: request.content,
        sentAtMicros: nowMicros(),
        protocol: account.protocol,
        server: account.server,
        ...outcome,
      }),
    );
    return { sentId };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { sentCopyProblem: `no copy was kept: ${message}` };
  }
}
