/**
 * The session child's views: what the browser is shown of the listed rows and of an email as
 * read, with what each is (email-security.ts) and whether its sender looks like a name the user
 * knows. No key, private or of an email's content, is ever in a view.
 */
import type { InboxRow } from '../../protocol/inbox.js';
import { Lookalikes } from '../protocol-client/lookalikes.js';
import type { ReadResult } from '../protocol-client/mail-client.js';
import type { OpenedEmail, SealedMail } from '../protocol-client/sealed-mail.js';
import type { ChannelKind, EmailView, InboxItem } from '../messages.js';
import { SecurityMemory, securityOf } from './email-security.js';
import type { MarksPlace } from './read-marks.js';
import type { SentFolder } from './sent-folder.js';

/** Who is signed in, where, where their Sent folder is, and their keys. */
export interface Account {
  username: string;
  protocol: ChannelKind;
  server: string;
  sent: SentFolder;
  sealed: SealedMail;
  /** What the emails this child opened were (read, or indexed), for the list's marks. */
  security: SecurityMemory;
}

/** The signed-in user as the session child keeps them: the account, their marks and Trash. */
export type SignedInAccount = Account & MarksPlace;

/**
 * The listed rows: what each is as far as the list knows (email-security.ts), and whether its
 * sender looks like a name the user knows without being it.
 */
export function toItems(
  rows: readonly InboxRow[],
  sealed: SealedMail,
  security: SecurityMemory,
): InboxItem[] {
  const lookalikes = new Lookalikes(sealed.username, sealed.keyring);
  return rows.map((row) => {
    const lookalike = lookalikes.of(row.from);
    return {
      index: row.index,
      from: row.from,
      receivedAt: row.receivedAt,
      title: row.title,
      ...(row.id === undefined ? {} : { id: row.id }),
      security: security.of(row),
      ...(lookalike === undefined ? {} : { lookalike }),
    };
  });
}

/** A sealed email as the browser sees it: what was verified, and only then the content. */
function toSealedEmailView(
  index: number,
  receivedAt: string,
  raw: string,
  opened: OpenedEmail,
): EmailView {
  return {
    index,
    from: opened.from,
    to: opened.to,
    receivedAt,
    title: opened.title,
    contentLength: opened.contentLength ?? 0,
    content: opened.content ?? '',
    raw,
    sealed: {
      verified: opened.verified,
      signedBy: opened.signedBy,
      ...(opened.signerFingerprint === undefined
        ? {}
        : { signerFingerprint: opened.signerFingerprint }),
      ...(opened.signerKey === undefined ? {} : { signerKey: opened.signerKey }),
      ...(opened.signedAtMs === undefined
        ? {}
        : { signedAt: new Date(opened.signedAtMs).toISOString() }),
      readers: opened.readers,
      ...(opened.problem === undefined ? {} : { problem: opened.problem }),
      ...(opened.warning === undefined ? {} : { warning: opened.warning }),
      ...(opened.emailId === undefined ? {} : { emailId: opened.emailId }),
      ...(opened.copyOf === undefined
        ? {}
        : {
            copyOf: {
              receivedAt: opened.copyOf.receivedAt,
              openedAt: new Date(opened.copyOf.openedAtMs).toISOString(),
            },
          }),
    },
  };
}

/**
 * An email as read, with what it is (email-security.ts), remembered for the list under the
 * row it was read as (`emailId` when read by id).
 */
export async function toEmailView(
  index: number,
  result: Extract<ReadResult, { kind: 'email' }>,
  account: Account,
  serverId: string | undefined,
): Promise<EmailView> {
  const view = await openedView(index, result, account.sealed, serverId);
  const { email } = result;
  if (!email) return view.email;
  const standing = account.sealed.standings([email.from]).get(email.from) ?? {
    holdsKey: false,
    sealedBefore: false,
  };
  const security = securityOf(email, view.opened, standing);
  account.security.remember(
    { from: email.from, receivedAt: email.receivedAt, title: email.title, id: serverId },
    security,
  );
  // Known names are read after opening: a signer's key fetched now is pinned, and still compared.
  const lookalike = new Lookalikes(account.sealed.username, account.sealed.keyring).of(
    view.email.sealed?.signedBy ?? view.email.from,
  );
  return { ...view.email, security, ...(lookalike === undefined ? {} : { lookalike }) };
}

async function openedView(
  index: number,
  result: Extract<ReadResult, { kind: 'email' }>,
  sealed: SealedMail,
  serverId: string | undefined,
): Promise<{ email: EmailView; opened?: OpenedEmail }> {
  const { email, text } = result;
  // A stored email this client cannot parse is still shown, as raw text, rather than hidden.
  if (!email)
    return {
      email: {
        index,
        from: '',
        to: [],
        receivedAt: '',
        title: '',
        contentLength: 0,
        content: text,
        raw: text,
        security: { kind: 'plain', sender: '', holdsKey: false, sealedBefore: false },
      },
    };
  const opened = await sealed.open(email, serverId);
  if (opened) return { email: toSealedEmailView(index, email.receivedAt, text, opened), opened };
  return {
    email: {
      index,
      from: email.from,
      to: email.to,
      receivedAt: email.receivedAt,
      title: email.title,
      contentLength: email.contentLength,
      content: email.content,
      raw: text,
    },
  };
}
