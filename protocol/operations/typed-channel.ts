/** Sending and receiving the typed binary messages of session version 2 over a channel. */
import { FieldReader, FieldWriter } from '../binary.js';
import type { MessageChannel } from '../channel.js';
import { ProtocolError } from '../errors.js';
import { MessageType, type MessageTypeName } from './message-types.js';

/** A channel that carries binary messages (the enhanced channel). */
export type BinaryChannel = MessageChannel & {
  sendBytes(payload: Buffer): Promise<void>;
  receiveBytes(): Promise<Buffer>;
};

export function binaryChannel(channel: MessageChannel): BinaryChannel {
  if (!channel.sendBytes || !channel.receiveBytes) {
    throw new ProtocolError('UNEXPECTED_MESSAGE', 'this operation needs the enhanced channel');
  }
  return channel as BinaryChannel;
}

/** Starts a message of a type; the caller adds its fields. */
export const message = (type: MessageTypeName): FieldWriter =>
  new FieldWriter().u8(MessageType[type]);

/** The type of a received message, and a reader over its fields. */
export function readMessage(payload: Buffer): { type: number; reader: FieldReader } {
  const reader = new FieldReader(payload, 'message', 'UNEXPECTED_MESSAGE');
  return { type: reader.u8('message type'), reader };
}

/** Receives a message that must be of one type; returns a reader over its fields. */
export async function receiveMessage(
  channel: MessageChannel,
  type: MessageTypeName,
): Promise<FieldReader> {
  const received = readMessage(await binaryChannel(channel).receiveBytes());
  if (received.type !== MessageType[type]) {
    throw new ProtocolError(
      'UNEXPECTED_MESSAGE',
      `expected a ${type} message (type ${MessageType[type]}), got type ${received.type}`,
    );
  }
  return received.reader;
}

export function sendMessage(channel: MessageChannel, writer: FieldWriter): Promise<void> {
  return binaryChannel(channel).sendBytes(writer.done());
}
