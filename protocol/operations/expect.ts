import type { MessageChannel } from '../channel.js';
import { ProtocolError } from '../errors.js';

/** Receives the next message and checks that it is the fixed text the protocol says comes next. */
export async function expectMessage(channel: MessageChannel, text: string): Promise<void> {
  const reply = await channel.receive();
  if (reply !== text) {
    throw new ProtocolError(
      'UNEXPECTED_MESSAGE',
      `expected "${text}", got ${JSON.stringify(reply.slice(0, 60))}`,
    );
  }
}
