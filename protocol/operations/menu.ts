/**
 * The menu (E.4) and the server's loop over it (E.4–E.7), derived from the operations.
 */
import type { MessageChannel } from '../channel.js';
import { listInbox } from './list-inbox.js';
import { sendEmail } from './send-email.js';
import { terminate } from './terminate.js';
import type { MenuOperation, SessionHooks } from './types.js';
import { viewEmail } from './view-email.js';

/** The operations of the classic protocol, in menu order. */
export const classicOperations = [sendEmail, listInbox, viewEmail, terminate] as const;

type AnyOperation = MenuOperation<never, unknown>;

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
  operations: readonly AnyOperation[] = classicOperations,
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
