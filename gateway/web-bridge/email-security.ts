/**
 * What each email is, decided in one place for the browser: the reader's banner and the list's
 * mark both come from here (docs/SEALED.md, section 8).
 *
 * The listing carries no content, so a row's state is what this session found when the email
 * was opened (remembered by id, or by sender, time and title on sessions without ids), else
 * `unopened`: reading every listed email to classify it would cost a round trip and its whole
 * content per row. The memory lasts as long as the session process and holds at most
 * MAX_REMEMBERED emails.
 */
import type { StoredEmail } from '../../protocol/email.js';
import type { InboxRow } from '../../protocol/inbox.js';
import type { OpenedEmail, SenderStanding } from '../protocol-client/sealed-mail.js';
import type { EmailSecurity } from '../messages.js';

export const MAX_REMEMBERED = 10_000;

/** An opened email's state: sealed and verified, sealed and why not, or plain and from whom. */
export function securityOf(
  stored: StoredEmail,
  opened: OpenedEmail | undefined,
  standing: SenderStanding,
): EmailSecurity {
  if (!opened)
    return {
      kind: 'plain',
      sender: stored.from,
      holdsKey: standing.holdsKey,
      sealedBefore: standing.sealedBefore,
    };
  if (
    opened.verified &&
    opened.signerFingerprint !== undefined &&
    opened.signerKey !== undefined &&
    opened.problem === undefined
  )
    return {
      kind: 'sealed',
      signer: opened.signedBy,
      fingerprint: opened.signerFingerprint,
      keySource: opened.signerKey,
    };
  return {
    kind: 'sealedNotVerified',
    signer: opened.signedBy,
    problem: opened.problem ?? 'MALFORMED',
  };
}

/** What names a listed email across listings: its id, or its row's fields without one. */
function keyOf(row: Pick<InboxRow, 'id' | 'from' | 'receivedAt' | 'title'>): string {
  return row.id !== undefined ? `id:${row.id}` : `row:${row.from}\n${row.receivedAt}\n${row.title}`;
}

/** The states of the emails this session opened, for the list. */
export class SecurityMemory {
  readonly #states = new Map<string, EmailSecurity>();

  remember(
    row: Pick<InboxRow, 'id' | 'from' | 'receivedAt' | 'title'>,
    state: EmailSecurity,
  ): void {
    const key = keyOf(row);
    // Re-inserted, so that the oldest entry is the one dropped beyond the bound.
    this.#states.delete(key);
    this.#states.set(key, state);
    if (this.#states.size > MAX_REMEMBERED) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }

  of(row: InboxRow): EmailSecurity {
    return this.#states.get(keyOf(row)) ?? { kind: 'unopened' };
  }
}
