/**
 * F, sending an email:
 *
 *   server -> client  "Send the email"
 *   client -> server  the email (section D)
 *
 * The classic protocol has no acknowledgement: the next menu says the server is done with it.
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
import { expectMessage } from './expect.js';
import type { MenuOperation } from './types.js';

/** The email, asked for once the server has said "Send the email" (the terminal client asks the user then). */
export type EmailSource = () => Promise<{ email: Email; contentLength: number }>;

export const sendEmail: MenuOperation<EmailSource, Email> = {
  choice: '1',
  label: 'Create and send an email',

  async client(channel, source) {
    await expectMessage(channel, SEND_THE_EMAIL);
    const { email, contentLength } = await source();
    await channel.send(formatEmail(email, contentLength));
    return email;
  },

  async server(channel, hooks) {
    await channel.send(SEND_THE_EMAIL);
    const text = await channel.receive();
    const receivedAt = formatReceivedTime(nowMicros());
    let parsed;
    try {
      parsed = parseCountedEmail(text);
    } catch (error) {
      if (!(error instanceof EmailError)) throw error;
      hooks.onRejectedEmail(error);
      return;
    }
    await hooks.onEmail(parsed.email, parsed.contentLength, receivedAt);
  },
};
