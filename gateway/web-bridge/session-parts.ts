/**
 * What a session child builds once its user is signed in: the account (keys, keyring, Sent
 * folder, the marks of opened emails), the new-mail watch, and the content search's indexer,
 * which reads between the browser's requests through the watch (indexer.ts).
 */
import type { KeyObject } from 'node:crypto';
import type { InboxRow } from '../../protocol/inbox.js';
import { Keyring } from '../protocol-client/keyring.js';
import { keyringFolder } from '../protocol-client/keys.js';
import { LocalSeal } from '../protocol-client/local-seal.js';
import type { MailClient } from '../protocol-client/mail-client.js';
import { OpenedEmails } from '../protocol-client/opened-emails.js';
import { SealedMail } from '../protocol-client/sealed-mail.js';
import { SealerMemory } from '../protocol-client/sealer-memory.js';
import type { Reply } from '../messages.js';
import type { ChildSignIn } from './child-protocol.js';
import { SecurityMemory } from './email-security.js';
import { toItems, type SignedInAccount } from './email-views.js';
import { MailboxMarks } from './mailbox-marks.js';
import { Indexer } from './indexer.js';
import { NewMailWatch, waitSecondsWithin } from './new-mail.js';
import { SearchIndexFile } from './search-index-file.js';
import { SentFolder } from './sent-folder.js';

export interface SessionParts {
  account: SignedInAccount;
  keyring: Keyring;
  newMail: NewMailWatch;
  indexer: Indexer;
}

/** Where the parts' messages go: the browser's replies, and the gateway's log. */
export interface SessionPartsIo {
  reply(message: Reply): Promise<void>;
  warn(details: Record<string, unknown>, message: string): void;
}

/** `failed`: the connection failed while looking for new mail, and the session is over. */
export function sessionParts(
  client: MailClient,
  privateKey: KeyObject,
  message: ChildSignIn & { server: string },
  io: SessionPartsIo,
  failed: (error: unknown) => Promise<void>,
): SessionParts {
  const { server } = message;
  const seal = new LocalSeal(privateKey, message.username);
  const folder = keyringFolder(message.keysDir, message.username);
  const keyring = new Keyring(folder, seal);
  const sealers = new SealerMemory(folder, seal);
  const opened = new OpenedEmails(folder, seal);
  const sealed = new SealedMail(client, privateKey, keyring, { sealers, opened });
  const security = new SecurityMemory();
  const account: SignedInAccount = {
    username: message.username,
    protocol: message.protocol,
    server,
    sent: new SentFolder(message.dataDir, message.username, seal),
    sealed,
    security,
    marks: new MailboxMarks(message.dataDir, message.username, seal),
    trashDays: message.trashDays,
  };
  const newMail = new NewMailWatch(
    client,
    message.pollMs,
    {
      found: (rows: InboxRow[], total: number) => {
        indexer.added(rows);
        return io.reply({ type: 'newMail', items: toItems(rows, sealed, security), total });
      },
      failed,
    },
    waitSecondsWithin(message.replyTimeoutMs),
  );
  const indexer: Indexer = new Indexer({
    client,
    // Its openings are recorded by the indexer itself, in the inbox's order (indexer.ts).
    sealed: new SealedMail(client, privateKey, keyring, { sealers }),
    opened,
    security,
    file: new SearchIndexFile(message.dataDir, message.username, server, seal),
    serialise: (work) => newMail.around(work),
    progress: (indexed, total, marks) =>
      io.reply({ type: 'indexProgress', indexed, total, ...(marks.length > 0 ? { marks } : {}) }),
    warn: (details, text) => {
      io.warn(details, text);
    },
  });
  return { account, keyring, newMail, indexer };
}
