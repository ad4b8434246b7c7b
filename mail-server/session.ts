/**
 * What the server does for each operation of a logged-in session (the protocol's hooks):
 * checks a sent email (plain or sealed) against the signed-in user, delivers it through the
 * mail store and says what became of each copy, hands out users' public keys, and answers
 * listings, reads, deletions and waits from the store. It knows accounts and the store, never
 * a folder. A sealed email is stored as any other, its armoured body in place of the content.
 */
import { EmailError } from '../protocol/email.js';
import type { DeliveryReport, RecipientDelivery } from '../protocol/operations/delivery-report.js';
import type { SessionHooks } from '../protocol/operations/types.js';
import { armour } from '../protocol/sealed/armour.js';
import { sealedServerLines } from '../protocol/sealed/lines.js';
import { verifySealed } from '../protocol/sealed/primitives.js';
import { serverLines } from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import { sessionRows } from './listing-rows.js';
import type { Logger } from './log.js';
import type { DeliveryOutcome, IncomingEmail, MailStore } from './store/mail-store.js';

export interface SessionContext {
  home: ServerHome;
  store: MailStore;
  log: Logger;
  announce: (line: string) => void;
  /** Bytes of stored mail an inbox may hold; a copy beyond it is refused. */
  maxInboxBytes: number;
  /** The longest a client may wait for new mail before it is woken anyway. */
  maxWaitMs: number;
}

/** Unknown recipients are logged as one line, with a few names as examples. */
const NAMES_LOGGED = 5;

const QUOTA_REASON = 'the recipient’s inbox is full';

function recipientDelivery(outcome: DeliveryOutcome): RecipientDelivery {
  switch (outcome.status) {
    case 'delivered':
      return { name: outcome.recipient, status: 'delivered', reason: '' };
    case 'overQuota':
      return { name: outcome.recipient, status: 'refused', reason: QUOTA_REASON };
    case 'failed':
      return {
        name: outcome.recipient,
        status: 'refused',
        reason: 'the server could not store it',
      };
  }
}

/**
 * Delivers an email checked against its sender to each known recipient; says what became of
 * each copy. With a send id (session version 5), at most once per (sender, send id): a retry
 * is answered with the first delivery's report, and stores and prints nothing.
 */
async function deliverToRecipients(
  context: SessionContext,
  user: UserAccount,
  incoming: IncomingEmail,
  announceLine: string,
  sendId?: string,
): Promise<DeliveryReport> {
  const { home, store, log, announce } = context;
  const { email } = incoming;
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
  const limits = { maxInboxBytes: context.maxInboxBytes };
  let outcomes: DeliveryOutcome[];
  let named = recipients;
  if (sendId === undefined) outcomes = await store.deliver(incoming, known, limits);
  else {
    const once = await store.deliverOnce(incoming, known, limits, {
      sender: user.name,
      sendId,
      named: recipients,
    });
    if (once.replayed) {
      log.info(
        { user: user.name, sendId },
        'a send tried again: answered with the first delivery’s report, nothing stored',
      );
      return reportOf(once.named, once.outcomes);
    }
    ({ outcomes, named } = once);
  }
  for (const outcome of outcomes) {
    if (outcome.status === 'delivered')
      log.debug({ recipient: outcome.recipient, id: outcome.id }, 'email stored');
    else if (outcome.status === 'overQuota')
      log.warn({ user: user.name, recipient: outcome.recipient }, 'email refused: inbox full');
    else
      log.error(
        { user: user.name, recipient: outcome.recipient, err: outcome.reason },
        'email could not be stored',
      );
  }
  if (outcomes.some((outcome) => outcome.status === 'delivered')) announce(announceLine);
  return reportOf(named, outcomes);
}

/** The report of a delivery: each recipient named, in order; those the store never saw are unknown. */
function reportOf(named: readonly string[], outcomes: readonly DeliveryOutcome[]): DeliveryReport {
  const byName = new Map(
    outcomes.map((outcome) => [outcome.recipient, recipientDelivery(outcome)]),
  );
  return {
    accepted: true,
    reason: '',
    recipients: named.map(
      (name): RecipientDelivery => byName.get(name) ?? { name, status: 'unknownUser', reason: '' },
    ),
  };
}

export function sessionHooks(context: SessionContext, user: UserAccount): SessionHooks {
  const { home, store, log, announce } = context;
  const rejected = (problem: EmailError): DeliveryReport => {
    log.warn(
      { user: user.name, problem: problem.problem, reason: problem.message },
      'email rejected, not stored',
    );
    return { accepted: false, reason: problem.message, recipients: [] };
  };
  const rows = sessionRows();
  return {
    async onEmail(email, contentLength, receivedAt, sendId) {
      if (email.from !== user.name) {
        return rejected(
          new EmailError(
            'NO_SENDER',
            `"From: ${email.from}" is not the signed-in user ${user.name}`,
          ),
        );
      }
      return deliverToRecipients(
        context,
        user,
        { email, contentLength, receivedAt },
        serverLines.emailSent(email.from, email.to.join(';'), contentLength),
        sendId,
      );
    },

    onRejectedEmail: rejected,

    async onSealedEmail(sealed, blob, receivedAt, sendId) {
      // The server cannot read a sealed email, but it sees who signed it and for whom.
      if (sealed.sender !== user.name)
        return rejected(
          new EmailError(
            'NO_SENDER',
            `a sealed email of ${sealed.sender} is not the signed-in user's`,
          ),
        );
      if (!verifySealed(user.publicKey, sealed.signedBytes, sealed.signature))
        return rejected(
          new EmailError(
            'MALFORMED',
            `the sealed email's signature does not verify with ${user.name}'s public key`,
          ),
        );
      const content = armour(blob);
      return deliverToRecipients(
        context,
        user,
        {
          email: { from: sealed.sender, to: sealed.recipients, title: sealed.title, content },
          contentLength: content.length,
          receivedAt,
        },
        sealedServerLines.emailSent(sealed.sender, sealed.recipients.join(';'), blob.length),
        sendId,
      );
    },

    onPublicKeys: (names) => names.map((name) => home.users.get(name)?.publicKey),

    async onList() {
      return rows(await store.list(user.name));
    },

    async onRead(ref) {
      const text = 'id' in ref || ref.index >= 1 ? await store.read(user.name, ref) : undefined;
      if (text !== undefined) return { text };
      // Only an index's refusal says how many there are: a batch of unknown ids lists nothing.
      return { count: 'id' in ref ? 0 : (await store.list(user.name)).length };
    },

    async onDelete(id) {
      const deleted = await store.remove(user.name, id);
      log.info({ user: user.name, id: id.slice(0, 64), deleted }, 'delete');
      return deleted;
    },

    watchInbox: (listener) => store.watch(user.name, listener),

    maxWaitMs: context.maxWaitMs,

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
