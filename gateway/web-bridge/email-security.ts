/**
 * What each email is, decided in one place for the browser: the reader's banner and the list's
 * mark both come from here (docs/SEALED.md, section 8).
 *
 * The listing carries no content, so a row's state is what this session child found when it
 * opened the email itself: when the person read it, or when the content search's indexer
 * (indexer.ts) did, in the background, which also keeps the marks across sessions in its sealed
 * file. Remembered by id, or by sender, time and title on sessions without ids, and used only
 * for a row whose sender, time and title are the ones opened (a server that changes them gets
 * `unopened`, and the email is opened again); else `unopened`. Nothing the server sends can
 * make a row look verified: only an opening in this process sets a mark. At most
 * MAX_REMEMBERED emails.
 */
import type { StoredEmail } from '../../protocol/email.js';
import type { InboxRow } from '../../protocol/inbox.js';
import type { OpenedEmail, SenderStanding } from '../protocol-client/sealed-mail.js';
import type { EmailSecurity } from '../messages.js';

export const MAX_REMEMBERED = 20_000;

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
export function keyOf(row: Pick<InboxRow, 'id' | 'from' | 'receivedAt' | 'title'>): string {
  return row.id !== undefined ? `id:${row.id}` : `row:${row.from}\n${row.receivedAt}\n${row.title}`;
}

type ListedFields = Pick<InboxRow, 'from' | 'receivedAt' | 'title'>;

/** The states of the emails this session child opened, for the list. */
export class SecurityMemory {
  readonly #states = new Map<string, { state: EmailSecurity; row: ListedFields }>();

  remember(
    row: Pick<InboxRow, 'id' | 'from' | 'receivedAt' | 'title'>,
    state: EmailSecurity,
  ): void {
    const key = keyOf(row);
    // Re-inserted, so that the oldest entry is the one dropped beyond the bound.
    this.#states.delete(key);
    const { from, receivedAt, title } = row;
    this.#states.set(key, { state, row: { from, receivedAt, title } });
    if (this.#states.size > MAX_REMEMBERED) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }

  of(row: InboxRow): EmailSecurity {
    const known = this.#states.get(keyOf(row));
    if (
      !known ||
      known.row.from !== row.from ||
      known.row.receivedAt !== row.receivedAt ||
      known.row.title !== row.title
    )
      return { kind: 'unopened' };
    return known.state;
  }

  forget(key: string): void {
    this.#states.delete(key);
  }
}
