/**
 * The session child's send: sealed whenever it can be, and a copy kept in the local Sent folder
 * (whose failures are told beside the `sent` reply, never as a failed send).
 */
import { nowMicros } from '../../protocol/email.js';
import type { MailClient } from '../protocol-client/mail-client.js';
import type { DeliveryReport, Reply, SendRequest } from '../messages.js';
import { GatewayError } from './errors.js';
import type { Account } from './email-views.js';
import { UnsafeFolderError } from './private-files.js';

/** The gateway's log (stderr): details the browser is not shown. */
export type Warn = (details: Record<string, unknown>, message: string) => void;

export async function sendEmail(
  client: MailClient,
  account: Account,
  message: SendRequest,
  warn: Warn,
): Promise<Reply> {
  const draft = { to: message.to, title: message.title, content: message.content };
  // The browser's id, so that its retry after a lost answer is stored once.
  const options = message.sendId === undefined ? {} : { sendId: message.sendId };
  // Sealed whenever it can be sealed for every recipient, on either protocol; never
  // plain by surprise: an email that cannot be is sent only when the person chose to.
  if (account.sealed.canSeal || !message.unsealed) {
    if (!account.sealed.canSeal) {
      // A session that cannot ask the server for keys seals with the keyring's alone.
      const plan = await account.sealed.sealingPlan(message.to);
      const without = plan.filter((entry) => entry.state === 'noKey');
      if (without.length > 0)
        throw new GatewayError(
          'NOT_SEALABLE',
          `it cannot be sealed for ${without.map((entry) => entry.name).join(', ')}: this computer has no key of theirs, and this session cannot ask the server for one. Send it unsealed, or remove them.`,
        );
    }
    const { report, readers, fromServer, withoutKey } = await account.sealed.send(draft, options);
    return {
      type: 'sent',
      id: message.id,
      recipients: message.to,
      ...(report ? { delivery: report } : {}),
      sealed: { readers, fromServer, withoutKey },
      ...keepCopy(account, message, warn, { sealed: true, delivery: report }),
    };
  }
  const { report } = await client.send(draft, options);
  return {
    type: 'sent',
    id: message.id,
    recipients: message.to,
    ...(report ? { delivery: report } : {}),
    ...keepCopy(account, message, warn, {
      sealed: false,
      ...(report ? { delivery: report } : {}),
    }),
  };
}

/**
 * A copy of a sent email in the local Sent folder. The email has gone already: a copy that
 * cannot be written is reported beside the `sent` reply, never as a failed send.
 */
export function keepCopy(
  account: Account,
  request: SendRequest,
  warn: Warn,
  outcome: { sealed: boolean; delivery?: DeliveryReport },
): { sentId: string } | { sentCopyProblem: string } {
  try {
    const sentId = useSentFolder(
      () =>
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
      warn,
    );
    return { sentId };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { sentCopyProblem: `no copy was kept: ${message}` };
  }
}

/** Runs an operation on the Sent folder; a failure says what is wrong without a path of this machine. */
export function useSentFolder<T>(operation: () => T, warn: Warn): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    warn({ error: String(error) }, 'the Sent folder failed');
    const problem =
      error instanceof UnsafeFolderError
        ? `${error.message} (in the gateway's data folder)`
        : 'it could not be read or written';
    throw new GatewayError('INTERNAL', `the local Sent folder cannot be used: ${problem}`, {
      cause: error,
    });
  }
}
