/**
 * The IPC messages between the gateway's main process and one session child.
 * The child answers with the browser's own Reply messages, which the main process relays.
 */
import type { ChannelKind, Reply, Request } from '../messages.js';

export type SessionRequest = Extract<
  Request,
  { type: 'listInbox' | 'read' | 'send' | 'listSent' | 'readSent' | 'delete' }
>;

export interface ChildSignIn {
  type: 'signIn';
  id: number;
  host: string;
  port: number;
  username: string;
  password: string;
  protocol: ChannelKind;
  /** Where the child looks for the user's keys (DIR or DIR/<user>/). */
  keysDir: string;
  /** Where the user's local Sent folder is: DATA/<user>/sent/. */
  dataDir: string;
  /** Background inbox check; 0 turns it off. */
  pollMs: number;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
}

/** Ends the protocol session (menu choice 4). With an id, the child answers `signedOut`. */
export interface ChildSignOut {
  type: 'signOut';
  id: number | null;
}

export type ParentToChild = ChildSignIn | SessionRequest | ChildSignOut;
/** `ready`: the child's message handler is in place (messages sent before would be lost). */
export type ChildToParent = Reply | { type: 'ready' };
