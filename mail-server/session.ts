import type { MessageChannel } from '../protocol/channel.js';
import {
  EmailError,
  formatStoredEmail,
  formatReceivedTime,
  nowMicros,
  parseCountedEmail,
} from '../protocol/email.js';
import { formatInboxListing } from '../protocol/inbox.js';
import {
  MENU,
  MenuChoice,
  OK,
  REQUEST_EMAIL_INDEX,
  SEND_THE_EMAIL,
  invalidIndexText,
  serverLines,
} from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import { announce, type Logger } from './log.js';
import { deliver, emailFileStem, listInbox, readEmailFile } from './mailstore.js';

export interface SessionContext {
  home: ServerHome;
  user: UserAccount;
  channel: MessageChannel;
  log: Logger;
}

type Handler = (context: SessionContext) => Promise<void>;

/** F: receive one email, check it, store it in every known recipient's inbox. */
async function handleSend({ home, user, channel, log }: SessionContext): Promise<void> {
  await channel.send(SEND_THE_EMAIL);
  const text = await channel.receive();
  const receivedAt = formatReceivedTime(nowMicros());
  let email;
  let contentLength;
  try {
    ({ email, contentLength } = parseCountedEmail(text));
    if (email.from !== user.name) {
      throw new EmailError(
        'NO_SENDER',
        `"From: ${email.from}" is not the signed-in user ${user.name}`,
      );
    }
  } catch (error) {
    if (!(error instanceof EmailError)) throw error;
    log.warn(
      { user: user.name, problem: error.problem, reason: error.message },
      'email rejected, not stored',
    );
    return;
  }
  const stored = formatStoredEmail(email, receivedAt, contentLength);
  const stem = emailFileStem(email.from, email.title);
  const delivered: string[] = [];
  for (const recipient of new Set(email.to)) {
    const account = home.users.get(recipient);
    if (!account) {
      log.warn({ user: user.name, recipient: recipient.slice(0, 80) }, 'unknown recipient skipped');
      continue;
    }
    try {
      const file = deliver(account.inbox, stem, stored);
      delivered.push(recipient);
      log.debug({ recipient, file }, 'email stored');
    } catch (error) {
      log.error(
        { user: user.name, recipient, err: (error as Error).message },
        'email could not be stored',
      );
    }
  }
  if (delivered.length > 0) {
    announce(serverLines.emailSent(email.from, email.to.join(';'), contentLength));
  }
}

/** G: the listing, then the client's "OK". */
async function handleInbox({ user, channel, log }: SessionContext): Promise<void> {
  const rows = listInbox(user.inbox).map((entry, i) => ({ ...entry, index: i + 1 }));
  await channel.send(formatInboxListing(rows));
  const reply = await channel.receive();
  if (reply !== OK)
    log.debug({ user: user.name }, 'inbox listing answered with something other than OK');
}

/** H: ask for an index, answer with that email of the listing or a clear message. */
async function handleView({ user, channel }: SessionContext): Promise<void> {
  await channel.send(REQUEST_EMAIL_INDEX);
  const answer = (await channel.receive()).trim();
  const entries = listInbox(user.inbox);
  const index = /^\d{1,9}$/.test(answer) ? Number(answer) : NaN;
  const entry = entries[index - 1];
  if (!entry) {
    await channel.send(invalidIndexText(answer.slice(0, 20), entries.length));
    return;
  }
  await channel.send(readEmailFile(user.inbox, entry.file));
}

const handlers: ReadonlyMap<string, Handler> = new Map([
  [MenuChoice.send, handleSend],
  [MenuChoice.inbox, handleInbox],
  [MenuChoice.view, handleView],
]);

/**
 * The menu loop (E.4–E.7) over any channel. Returns when the client chooses to terminate
 * (4 or any unknown choice, I); rejects when the connection fails.
 */
export async function runSession(context: SessionContext): Promise<void> {
  for (;;) {
    await context.channel.send(MENU);
    const choice = (await context.channel.receive()).trim();
    const handler = handlers.get(choice);
    if (!handler) {
      announce(serverLines.terminating(context.user.name));
      await context.channel.close();
      return;
    }
    await handler(context);
  }
}
