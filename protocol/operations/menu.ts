/**
 * The menu (E.4) and the server's loop over it (E.4–E.7), derived from the operations.
 */
import type { MessageChannel } from '../channel.js';
import { SessionVersion } from '../enhanced/suite.js';
import { deleteEmail } from './delete-email.js';
import { fetchPublicKeys } from './fetch-public-keys.js';
import { listChanges } from './list-changes.js';
import { listInbox, listInboxWithIds } from './list-inbox.js';
import { sendEmail, sendEmailOnce, sendEmailReported } from './send-email.js';
import { sendSealedEmail, sendSealedEmailOnce } from './send-sealed-email.js';
import { terminate } from './terminate.js';
import type { MenuOperation, SessionHooks } from './types.js';
import { viewEmail, viewEmailById, viewEmailsByIds } from './view-email.js';
import { waitForMail } from './wait-for-mail.js';

type AnyOperation = MenuOperation<never, unknown>;

/** The operations of the classic protocol (and of session version 1), in menu order. */
export const classicOperations: readonly AnyOperation[] = [
  sendEmail,
  listInbox,
  viewEmail,
  terminate,
];

/** Session version 2: the same choices, with reports and ids, and two more. */
export const mailboxOperations: readonly AnyOperation[] = [
  sendEmailReported,
  listInboxWithIds,
  viewEmailById,
  terminate,
  deleteEmail,
  waitForMail,
];

/** Session version 3: those of version 2, and sealed emails with the public keys they need. */
export const sealedOperations: readonly AnyOperation[] = [
  ...mailboxOperations,
  sendSealedEmail,
  fetchPublicKeys,
];

/** Session version 4: those of version 3, and listing only what changed. */
export const changesOperations: readonly AnyOperation[] = [...sealedOperations, listChanges];

/**
 * Session version 5: the same choices as version 4 (the same menu text), the two sends with a
 * send id, so that a retry after a lost report stores nothing twice.
 */
export const sendIdOperations: readonly AnyOperation[] = changesOperations.map((operation) =>
  operation === sendEmailReported
    ? sendEmailOnce
    : operation === sendSealedEmail
      ? sendSealedEmailOnce
      : operation,
);

/**
 * Session version 7: the same choices and menu text as version 6 (which added nothing to the
 * menu), the view taking batches of ids too.
 */
export const batchReadOperations: readonly AnyOperation[] = sendIdOperations.map((operation) =>
  operation === viewEmailById ? viewEmailsByIds : operation,
);

/** The operations a channel's session offers: by the version it negotiated, if any. */
export function operationsOf(channel: MessageChannel): readonly AnyOperation[] {
  const version = channel.version ?? SessionVersion.original;
  if (version >= SessionVersion.batchReads) return batchReadOperations;
  if (version >= SessionVersion.sendIds) return sendIdOperations;
  if (version >= SessionVersion.changes) return changesOperations;
  if (version >= SessionVersion.sealed) return sealedOperations;
  return version >= SessionVersion.mailbox ? mailboxOperations : classicOperations;
}

/** The menu text for a list of operations, laid out as the sample session shows it. */
export function menuText(operations: readonly AnyOperation[]): string {
  const lines = operations.map((operation) => `    ${operation.choice}) ${operation.label}\n`);
  return `Select the operation:\n${lines.join('')}\n    choice: `;
}

/** Sent by the server after login and after each operation. */
export const MENU = menuText(classicOperations);

/**
 * The server's side of a session after login: send the menu, run the chosen operation, again,
 * until the client terminates (choice 4 or any choice not in the menu). Rejects when the
 * connection fails.
 */
export async function serveMenu(
  channel: MessageChannel,
  hooks: SessionHooks,
  operations: readonly AnyOperation[] = operationsOf(channel),
): Promise<void> {
  const menu = menuText(operations);
  const byChoice = new Map(operations.map((operation) => [operation.choice, operation]));
  for (;;) {
    await channel.send(menu);
    const choice = (await channel.receive()).trim();
    const operation = byChoice.get(choice) ?? terminate;
    await operation.server(channel, hooks);
    if (operation === terminate) return;
  }
}
