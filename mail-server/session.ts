/**
 * What the server does for each operation of a logged-in session (the protocol's hooks):
 * checks a sent email against the signed-in user, delivers it through the mail store, and
 * answers listings and reads from it. It knows accounts and the store, never a folder.
 */
import { EmailError } from '../protocol/email.js';
import type { SessionHooks } from '../protocol/operations/types.js';
import { serverLines } from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import type { Logger } from './log.js';
import type { MailStore } from './store/mail-store.js';

export interface SessionContext {
  home: ServerHome;
  store: MailStore;
  log: Logger;
  announce: (line: string) => void;
}

/** Unknown recipients are logged as one line, with a few names as examples. */
const NAMES_LOGGED = 5;

export function sessionHooks(context: SessionContext, user: UserAccount): SessionHooks {
  const { home, store, log, announce } = context;
  return {
    async onEmail(email, contentLength, receivedAt) {
      if (email.from !== user.name) {
        this.onRejectedEmail(
          new EmailError(
            'NO_SENDER',
            `"From: ${email.from}" is not the signed-in user ${user.name}`,
          ),
        );
        return;
      }
      const recipients = [...new Set(email.to)];
      const known = recipients.filter((name) => home.users.has(name));
      const unknown = recipients.filter((name) => !home.users.has(name));
      if (unknown.length > 0) {
        log.warn(
          {
            user: user.name,
            unknown: unknown.length,
            examples: unknown.slice(0, NAMES_LOGGED).map((name) => name.slice(0, 80)),
          },
          'unknown recipients skipped',
        );
      }
      const outcomes = await store.deliver({ email, contentLength, receivedAt }, known);
      let delivered = 0;
      for (const outcome of outcomes) {
        if (outcome.status === 'delivered') {
          delivered++;
          log.debug({ recipient: outcome.recipient, id: outcome.id }, 'email stored');
        } else {
          log.error(
            { user: user.name, recipient: outcome.recipient, err: outcome.reason },
            'email could not be stored',
          );
        }
      }
      if (delivered > 0)
        announce(serverLines.emailSent(email.from, email.to.join(';'), contentLength));
    },

    onRejectedEmail(problem) {
      log.warn(
        { user: user.name, problem: problem.problem, reason: problem.message },
        'email rejected, not stored',
      );
    },

    async onList() {
      const entries = await store.list(user.name);
      return entries.map((entry, i) => ({ ...entry, index: i + 1 }));
    },

    async onRead(index) {
      const text = index >= 1 ? await store.read(user.name, { index }) : undefined;
      if (text !== undefined) return { text };
      return { count: (await store.list(user.name)).length };
    },

    onTerminate() {
      announce(serverLines.terminating(user.name));
    },

    onOddReply(expected, received) {
      log.debug(
        { user: user.name, expected, received: received.slice(0, 40) },
        'the client answered something else than the protocol asked for',
      );
    },
  };
}
