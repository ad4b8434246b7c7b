import type {
  ChannelKind,
  KeyringEntry,
  SessionCapabilities,
  SignedInSession,
} from '../../../gateway/messages.js';
import type { ComposerState } from './composer-state.svelte.js';
import type { InboxState } from './inbox-state.svelte.js';
import type { MailboxState } from './mailbox-state.svelte.js';
import type { ReaderState } from './reader-state.svelte.js';
import type { SentState } from './sent-state.svelte.js';
import type { Account } from './storage.js';

export type Phase = 'connecting' | 'offline' | 'signIn' | 'mail';

export interface Session {
  username: string;
  server: string;
  protocol: ChannelKind;
  serverFingerprint?: string;
  capabilities: SessionCapabilities;
  /** The fingerprint of the user's own key, which signs and opens sealed emails. */
  keyFingerprint: string;
  /** The keyring's keys, with keys fetched from the server during this session added. */
  keyring: KeyringEntry[];
}

export interface SignInForm {
  server: string;
  username: string;
  password: string;
  protocol: ChannelKind;
  /** Classic chosen, warned, for a server whose enhanced server answered before and does not now. */
  classicFallback?: boolean;
}

/** The session as the page keeps it, from what the gateway said of it. */
export function sessionOf(reply: SignedInSession): Session {
  const { username, server, protocol, capabilities, keyFingerprint, keyring } = reply;
  const session: Session = { username, server, protocol, capabilities, keyFingerprint, keyring };
  if (reply.serverFingerprint !== undefined) session.serverFingerprint = reply.serverFingerprint;
  return session;
}

/**
 * A session begins on this page (signed in here, or joined after a reload or from another tab):
 * the inbox of this account, its Sent folder and drafts, listed afresh.
 */
export function openMailbox(
  parts: {
    mailbox: MailboxState;
    reader: ReaderState;
    inbox: InboxState;
    sent: SentState;
    composer: ComposerState;
  },
  account: Account,
  capabilities: SessionCapabilities,
): void {
  parts.mailbox.folder = 'inbox';
  parts.reader.close();
  parts.inbox.reset(account);
  parts.sent.reset(account);
  const { deliveryReports, sealed, sendIds } = capabilities;
  parts.composer.attach(account, deliveryReports, sealed, sendIds);
  void parts.mailbox.refresh();
}
