import type { ProtocolError } from './errors.js';

/**
 * A message channel: what the session layer (the menu and its sub-protocols) runs over.
 * The classic channel is AES-256-ECB over frames; the enhanced one is AES-256-GCM records.
 */
export interface MessageChannel {
  send(text: string): Promise<void>;
  /** As send, for a text already encoded (valid UTF-8, which the caller answers for). */
  sendUtf8?(bytes: Buffer): Promise<void>;
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
  /** Set by channels that negotiate a session version (the enhanced channel): the one chosen. */
  readonly version?: number;
  /** Set by channels that carry binary messages as well as text (the enhanced channel). */
  sendBytes?(payload: Buffer): Promise<void>;
  receiveBytes?(): Promise<Buffer>;
}
