/**
 * Sending a sealed email (session version 3): the client seals it (protocol/sealed/), the
 * server checks what it can see and stores what it cannot read.
 *
 *   client -> server  sealed email: type (1) | the sealed email (u32 length + bytes)
 *   server -> client  the delivery report (delivery-report.ts)
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
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation, SessionHooks } from './types.js';

async function receiveSealedEmail(
  channel: Parameters<MenuOperation<never, unknown>['server']>[0],
  hooks: SessionHooks,
): Promise<DeliveryReport> {
  const reader = await receiveMessage(channel, 'sealedEmail');
  const blob = reader.longBytes('sealed email', reader.remaining);
  reader.end();
  const receivedAt = formatReceivedTime(nowMicros());
  try {
    return await hooks.onSealedEmail(decodeSealedEmail(blob), blob, receivedAt);
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
