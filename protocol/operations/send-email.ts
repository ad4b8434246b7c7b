/**
 * F, sending an email:
 *
 *   server -> client  "Send the email"
 *   client -> server  the email (section D)
 *   server -> client  from session version 2: the delivery report (delivery-report.ts)
 *
 * From session version 5 the client sends its send id (send-id.ts) just before the email, and
 * the server stores the email once per (sender, send id): a retry is answered with the first
 * delivery's report.
 *
 * Without a report (the classic protocol), nothing acknowledges the email: the next menu says
 * the server is done with it.
 */
import {
  EmailError,
  formatEmail,
  formatReceivedTime,
  nowMicros,
  parseCountedEmail,
  type Email,
} from '../email.js';
import { SEND_THE_EMAIL } from '../texts.js';
import {
  decodeDeliveryReport,
  encodeDeliveryReport,
  type DeliveryReport,
} from './delivery-report.js';
import { expectMessage } from './expect.js';
import { receiveSendId, sendSendId } from './send-id.js';
import { receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation, SessionHooks } from './types.js';

/** The email, asked for once the server has said "Send the email" (the terminal client asks the user then). */
export type EmailSource = () => Promise<{ email: Email; contentLength: number }>;

/** The server's part up to the report: receive, check, hand over to the hooks. */
async function receiveEmail(
  channel: Parameters<MenuOperation<never, unknown>['server']>[0],
  hooks: SessionHooks,
  withSendId = false,
): Promise<DeliveryReport> {
  await channel.send(SEND_THE_EMAIL);
  const sendId = withSendId ? await receiveSendId(channel) : undefined;
  const text = await channel.receive();
  const receivedAt = formatReceivedTime(nowMicros());
  let parsed;
  try {
    parsed = parseCountedEmail(text);
  } catch (error) {
    if (!(error instanceof EmailError)) throw error;
    return hooks.onRejectedEmail(error);
  }
  return hooks.onEmail(parsed.email, parsed.contentLength, receivedAt, sendId);
}

export const sendEmail: MenuOperation<EmailSource, { email: Email }> = {
  choice: '1',
  label: 'Create and send an email',

  async client(channel, source) {
    await expectMessage(channel, SEND_THE_EMAIL);
    const { email, contentLength } = await source();
    await channel.send(formatEmail(email, contentLength));
    return { email };
  },

  async server(channel, hooks) {
    await receiveEmail(channel, hooks);
  },
};

/** Session version 2: the same exchange, answered by the delivery report. */
export const sendEmailReported: MenuOperation<
  EmailSource,
  { email: Email; report: DeliveryReport }
> = {
  ...sendEmail,

  async client(channel, source) {
    const { email } = await sendEmail.client(channel, source);
    return { email, report: decodeDeliveryReport(await receiveMessage(channel, 'deliveryReport')) };
  },

  async server(channel, hooks) {
    await sendMessage(channel, encodeDeliveryReport(await receiveEmail(channel, hooks)));
  },
};

/** What a client sends on session version 5: the email, and the send id of all its tries. */
export interface OnceEmailRequest {
  source: EmailSource;
  sendId: string;
}

/**
 * Session version 5: the send id, then the email, answered by the delivery report; the first
 * delivery's report when the server has stored an email of this sender under this id before.
 */
export const sendEmailOnce: MenuOperation<
  OnceEmailRequest,
  { email: Email; report: DeliveryReport }
> = {
  ...sendEmail,

  async client(channel, { source, sendId }) {
    await expectMessage(channel, SEND_THE_EMAIL);
    const { email, contentLength } = await source();
    await sendSendId(channel, sendId);
    await channel.send(formatEmail(email, contentLength));
    return { email, report: decodeDeliveryReport(await receiveMessage(channel, 'deliveryReport')) };
  },

  async server(channel, hooks) {
    await sendMessage(channel, encodeDeliveryReport(await receiveEmail(channel, hooks, true)));
  },
};
