/**
 * What became of a sent email, recipient by recipient (session version 2):
 *
 *   type (1) | accepted (1) | reason (u16 + UTF-8) | count (u16) |
 *   count x [ status (1) | name (u16 + UTF-8) | reason (u16 + UTF-8) ]
 *
 * `accepted` is 0 when the email as a whole was refused (its reason says why; no copy was
 * stored); then the list may be empty.
 */
import type { FieldReader } from '../binary.js';
import { MAX_RECIPIENTS } from '../limits.js';
import { message } from './typed-channel.js';

export const RecipientStatus = { delivered: 0, unknownUser: 1, refused: 2 } as const;
export type RecipientStatusName = keyof typeof RecipientStatus;

export interface RecipientDelivery {
  name: string;
  status: RecipientStatusName;
  /** Why a copy was refused (quota, limits, the store); empty otherwise. */
  reason: string;
}

export interface DeliveryReport {
  accepted: boolean;
  /** Why the email was refused as a whole; empty when it was accepted. */
  reason: string;
  recipients: RecipientDelivery[];
}

const STATUS_NAMES = Object.keys(RecipientStatus) as RecipientStatusName[];
/** A status byte, two empty texts' lengths and at least one byte of name. */
const MIN_ENTRY_BYTES = 6;
const MAX_NAME_BYTES = 1024;
const MAX_REASON_BYTES = 1024;

export function encodeDeliveryReport(report: DeliveryReport) {
  const writer = message('deliveryReport')
    .u8(report.accepted ? 1 : 0)
    .text(report.reason)
    .u16(report.recipients.length);
  for (const recipient of report.recipients)
    writer.u8(RecipientStatus[recipient.status]).text(recipient.name).text(recipient.reason);
  return writer;
}

export function decodeDeliveryReport(reader: FieldReader): DeliveryReport {
  const accepted = reader.u8('accepted') === 1;
  const reason = reader.text('reason', MAX_REASON_BYTES);
  const count = reader.count('recipients', MIN_ENTRY_BYTES);
  // A server lists each recipient of the email once: more than an email may have is not a report.
  if (count > MAX_RECIPIENTS)
    throw reader.fail(`${count} recipients; an email has at most ${MAX_RECIPIENTS}`);
  const recipients: RecipientDelivery[] = [];
  for (let i = 0; i < count; i++) {
    const status = STATUS_NAMES[reader.u8('status')];
    if (status === undefined) throw reader.fail('unknown recipient status');
    const name = reader.text('name', MAX_NAME_BYTES);
    recipients.push({ name, status, reason: reader.text('reason', MAX_REASON_BYTES) });
  }
  reader.end();
  return { accepted, reason, recipients };
}
