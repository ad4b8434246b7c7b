/**
 * A send id (session version 5): 16 random bytes the client chooses for one email, sent just
 * before it, so that the server stores the email once per (sender, send id) however often the
 * client tries again (as JMAP's creation ids and Stripe's idempotency keys):
 *
 *   type (1) | send id (16)
 *
 * In programs and stores it is written as 22 characters of base64url, which is also safe as
 * a file name.
 */
import { randomBytes } from 'node:crypto';
import type { MessageChannel } from '../channel.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';

export const SEND_ID_BYTES = 16;
/** The written form: 22 characters of base64url (16 bytes, no padding). */
export const SEND_ID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** A fresh send id: a new one for each email, the same one for each try of that email. */
export const newSendId = (): string => randomBytes(SEND_ID_BYTES).toString('base64url');

export const isSendId = (id: string): boolean => SEND_ID_PATTERN.test(id);

export function sendSendId(channel: MessageChannel, id: string): Promise<void> {
  if (!isSendId(id)) throw new RangeError('a send id is 22 characters of base64url (16 bytes)');
  return sendMessage(channel, message('sendId').raw(Buffer.from(id, 'base64url')));
}

/** Receives a send id; a record of any other length is refused before it is used. */
export async function receiveSendId(channel: MessageChannel): Promise<string> {
  const reader = await receiveMessage(channel, 'sendId');
  const id = reader.fixed('send id', SEND_ID_BYTES);
  reader.end();
  return id.toString('base64url');
}
