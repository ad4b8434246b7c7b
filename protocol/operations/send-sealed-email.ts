/**
 * Sending a sealed email (session version 3): the client seals it (protocol/sealed/), the
 * server checks what it can see and stores what it cannot read.
 *
 *   client -> server  sealed email: type (1) | the sealed email (u32 length + bytes)
 *   server -> client  the delivery report (delivery-report.ts)
 *
 * From session version 5 a send id (send-id.ts) comes just before the sealed email, and the
 * server stores it once per (sender, send id), as choice 1 does.
 *
 * A sealed email the format refuses is refused in the report, as a malformed section D email
 * is; the session goes on.
 */
import { EmailError, formatReceivedTime, nowMicros } from '../email.js';
import { isProtocolError } from '../errors.js';
import { decodeSealedEmail } from '../sealed/format.js';
import {
  decodeDeliveryReport,
  encodeDeliveryReport,
  type DeliveryReport,
} from './delivery-report.js';
import { receiveSendId, sendSendId } from './send-id.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation, SessionHooks } from './types.js';

async function receiveSealedEmail(
  channel: Parameters<MenuOperation<never, unknown>['server']>[0],
  hooks: SessionHooks,
  withSendId = false,
): Promise<DeliveryReport> {
  const sendId = withSendId ? await receiveSendId(channel) : undefined;
  const reader = await receiveMessage(channel, 'sealedEmail');
  const blob = reader.longBytes('sealed email', reader.remaining);
  reader.end();
  const receivedAt = formatReceivedTime(nowMicros());
  try {
    return await hooks.onSealedEmail(decodeSealedEmail(blob), blob, receivedAt, sendId);
  } catch (error) {
    if (!isProtocolError(error, 'INVALID_SEALED_EMAIL')) throw error;
    return hooks.onRejectedEmail(new EmailError('MALFORMED', `sealed email: ${error.message}`));
  }
}

export const sendSealedEmail: MenuOperation<Buffer, DeliveryReport> = {
  choice: '7',
  label: 'Send a sealed email',

  async client(channel, sealed) {
    await sendMessage(channel, message('sealedEmail').longBytes(sealed));
    return decodeDeliveryReport(await receiveMessage(channel, 'deliveryReport'));
  },

  async server(channel, hooks) {
    await sendMessage(channel, encodeDeliveryReport(await receiveSealedEmail(channel, hooks)));
  },
};

/** Session version 5: the send id, then the sealed email; stored once per (sender, send id). */
export const sendSealedEmailOnce: MenuOperation<
  { sealed: Buffer; sendId: string },
  DeliveryReport
> = {
  ...sendSealedEmail,

  async client(channel, { sealed, sendId }) {
    await sendSendId(channel, sendId);
    return sendSealedEmail.client(channel, sealed);
  },

  async server(channel, hooks) {
    await sendMessage(
      channel,
      encodeDeliveryReport(await receiveSealedEmail(channel, hooks, true)),
    );
  },
};
