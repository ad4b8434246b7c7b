/**
 * What a login needs from the program around it, on each side. The exchanges themselves (the
 * messages, their order and their cryptography) are in protocol/classic/login.ts and
 * protocol/enhanced/login.ts; the programs supply only policy: where keys come from, how
 * credentials are checked and throttled, and what to print.
 */
import type { KeyObject } from 'node:crypto';
import type { MessageChannel } from './channel.js';
import type { FramedSocket } from './framing.js';

export interface LoginCredentials {
  username: string;
  password: string;
}

/** The keys a client needs: the server's public key at once, the user's private key only once the login needs it. */
export interface ClientKeys {
  serverPublicKey: KeyObject;
  /** Throws MISSING_PRIVATE_KEY or BAD_KEY. */
  privateKey(): KeyObject;
}

export interface ClientLoginOptions {
  /** On channels that negotiate a session version: the highest to offer (default: the latest). */
  version?: number;
}

/** The client's side of a login: resolves with the channel for the session layer. */
export type ClientLogin = (
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
  options?: ClientLoginOptions,
) => Promise<MessageChannel>;

/** What the server knows of an account: enough to encrypt to it and to check its signatures. */
export interface LoginAccount {
  name: string;
  publicKey: KeyObject;
}

/** One set of credentials as the server received them, to be checked by the server's policy. */
export interface LoginAttempt {
  username: string;
  password: string;
  /** The client's address, for throttling. */
  peer: string;
  /**
   * On channels where the client signs the handshake: whether the signature verifies with a
   * key. The policy calls it with the account's key (or a stand-in, so that an unknown user
   * costs the same time). Absent on the classic channel, which has no such proof.
   */
  provesKeyOf?: (publicKey: KeyObject) => boolean;
}

/** A server key being replaced (admin server-key rotate): accepted until `untilMs`, then never. */
export interface PreviousServerKey {
  privateKey: KeyObject;
  /** SHA-256 of its public key's SubjectPublicKeyInfo (fingerprint.ts `keyDigest`), made once: clients name it. */
  publicKeyDigest: Buffer;
  /** The end of the transition window, ms since 1970. */
  untilMs: number;
}

/** The server's policy for logins (smtp-server's onAuth): the protocol asks, the policy answers. */
export interface ServerLoginPolicy<A extends LoginAccount> {
  serverPrivateKey: KeyObject;
  /**
   * While the server's key is being replaced: the key before it, asked for at each login so that
   * a window that has ended is never honoured; undefined otherwise.
   */
  previousServerKey?(): PreviousServerKey | undefined;
  /** The account when the credentials hold and the attempt is allowed, undefined otherwise. */
  authenticate(attempt: LoginAttempt): Promise<A | undefined>;
  /** Notices, in the order they happen; each is optional. */
  events?: LoginEvents<A>;
}

export interface LoginEvents<A extends LoginAccount> {
  /** Enhanced: the signed handshake is done (keys derived), before the credentials arrive. */
  handshake?(): void;
  /** Enhanced: the handshake or the first record failed; nothing from the client was used. */
  handshakeFailed?(reason: string): void;
  /** Classic: the login blob could not be decrypted (not a login, or for another key). */
  undecryptable?(reason: string, bytes: number): void;
  /** The credentials were refused; `username` as the client gave it, when it could be read. */
  refused?(username: string | undefined): void;
  /** Enhanced, during a server key rotation: the client held the key being replaced and was handed the new one. */
  serverKeyHandedOver?(account: A): void;
  /** The account is logged in; on the classic channel, as soon as its session key is sent (E.2.a). */
  accepted?(account: A): void;
}

/** The server's side of a login: the account and its channel, or undefined when refused (the connection is closed then). */
export type ServerLogin = <A extends LoginAccount>(
  framed: FramedSocket,
  policy: ServerLoginPolicy<A>,
  peer: string,
) => Promise<{ account: A; channel: MessageChannel } | undefined>;
