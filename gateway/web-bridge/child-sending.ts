/**
 * The session child's send: sealed whenever it can be, and a copy kept in the local Sent folder
 * (whose failures are told beside the `sent` reply, never as a failed send).
 */
import type { MailClient } from '../protocol-client/mail-client.js';
import type { Reply, SendRequest } from '../messages.js';
import { GatewayError } from './errors.js';
import type { Account } from './email-views.js';
import { keepCopy, type Warn } from './sent-copies.js';

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
      ...keepCopy(warn, account, message, { sealed: true, delivery: report }),
    };
  }
  const { report } = await client.send(draft, options);
  return {
    type: 'sent',
    id: message.id,
    recipients: message.to,
    ...(report ? { delivery: report } : {}),
    ...keepCopy(warn, account, message, {
      sealed: false,
      ...(report ? { delivery: report } : {}),
    }),
  };
}
