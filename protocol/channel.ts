import type { KeyObject } from 'node:crypto';
import type { ProtocolError } from './errors.js';

/** A new server key, verified with the key it replaces (protocol/enhanced/key-update.ts). */
export interface ServerKeyUpdate {
  publicKey: KeyObject;
  /** When the server stops accepting the replaced key, ms since 1970. */
  untilMs: number;
  /** The key the client held, which signed the update. */
  replaced: KeyObject;
}

/**
 * A message channel: what the session layer (the menu and its sub-protocols) runs over.
 * The classic channel is AES-256-ECB over frames; the enhanced one is AES-256-GCM records.
 */
export interface MessageChannel {
  send(text: string): Promise<void>;
  /** The next message; rejects with a ProtocolError when the peer goes away or misbehaves. */
  receive(): Promise<string>;
  /** Flushes what was sent, then closes. */
  close(): Promise<void>;
  /** Drops the connection at once. */
  destroy(): void;
  /** Settles with the reason when the connection ends, however it ends. */
  readonly ended: Promise<ProtocolError>;
  /** Set by channels that authenticate the server: the SHA-256 fingerprint of its verified key. */
  readonly serverFingerprint?: string;
  /** Set by channels that authenticate records: how many were sent and received, each one verified. */
  readonly records?: { sent: number; received: number };
  /** Set by channels that authenticate the server, when its login handed over a new server key. */
  readonly serverKeyUpdate?: ServerKeyUpdate;
  /** Set by channels that negotiate a session version (the enhanced channel): the one chosen. */
  readonly version?: number;
  /** Set by channels that carry binary messages as well as text (the enhanced channel). */
  sendBytes?(payload: Buffer): Promise<void>;
  receiveBytes?(): Promise<Buffer>;
}
