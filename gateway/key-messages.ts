/**
 * The keys of the messages: what a key is and why it is trusted, how a send is sealed and what
 * the gateway found opening a sealed email. Part of the one definition of messages.ts (types only).
 */
import type { SealedProblem } from '../protocol/sealed/problems.js';

/**
 * What a send would do for one recipient: sealed with the keyring's key or the server's, for the
 * sender's own key, refused (`changed`: not the key pinned for them), or not sealable (`noKey`).
 */
export interface RecipientSealing {
  name: string;
  state: 'keyring' | 'server' | 'own' | 'changed' | 'noKey';
  fingerprint?: string;
}

/**
 * Why a key is trusted (docs/SEALED.md, section 6): the user's own; the keyring's (handed out
 * with the set-up, as server_public.pem); fetched from the server and not compared since; or
 * compared with its owner and marked verified by the user.
 */
export type KeyProvenance = 'own' | 'keyring' | 'server' | 'verified';

/** A user's public key as people compare it: its SHA-256 fingerprint, as OpenSSH shows one. */
export interface KeyFingerprint {
  name: string;
  /** `SHA256:` and 43 characters of base64. */
  fingerprint: string;
}

/** A key of the signed-in user's keyring, on this machine. */
export interface KeyringEntry extends KeyFingerprint {
  /**
   * Set when the keyring's key is not the one pinned for this user (the fingerprint pinned when
   * it was first used): it is refused, for sealing and for checking signatures, until the user
   * compares it with its owner and removes the old pin.
   */
  pinned?: string;
  /** Of the pinned key (absent: it came with the keyring). A changed key is never `verified`. */
  provenance?: KeyProvenance;
}

/** How a sent email was sealed. */
export interface SealedSend {
  /** Who can open it, the sender included, with the fingerprint of the key it was sealed for. */
  readers: KeyFingerprint[];
  /** Keys the keyring did not have: fetched from the server and pinned now, worth comparing with their owners. */
  fromServer: KeyFingerprint[];
  /** Recipients no key was found for (no such user on the server): listed in it, unable to open it. */
  withoutKey: string[];
}

/** What the gateway found opening a sealed email. */
export interface SealedEmailView {
  /**
   * The signature holds with the signer's pinned key, the email was sealed for this user's key,
   * and the server's From, To and Title are the signed ones: show the lock and "signed by
   * <signedBy>, verified".
   */
  verified: boolean;
  /** Who the email says signed it (the sender). */
  signedBy: string;
  /** The fingerprint of the key the signature was checked with, when it holds. */
  signerFingerprint?: string;
  /** Where that key came from, when the signature holds. */
  signerKey?: KeyProvenance;
  /** When the sender sealed it, by the sender's clock (ISO 8601, UTC), when the signature holds. */
  signedAt?: string;
  /** Who it was sealed for, with the fingerprint of the key used for each. */
  readers: KeyFingerprint[];
  /** Why it is not verified; absent when it is. */
  problem?: SealedProblem;
  /** A sentence to show as a warning when it is not verified. */
  warning?: string;
  /** The id the sender signed into it (hex), when the signature holds; absent for the older format, which has none. */
  emailId?: string;
  /**
   * Set when another copy of this email (the same signed id) was opened before at another
   * place of the inbox: this is a copy the server stored again, not new mail.
   */
  copyOf?: {
    /** The first copy's receive time, as the inbox shows times. */
    receivedAt: string;
    /** When it was first opened (ISO 8601). */
    openedAt: string;
  };
}
