/**
 * The enhanced protocol's fixed parameters: one suite, no negotiation of cryptography (a
 * choice of suites is what a downgrade attack needs). What is negotiated is the session
 * version, the operations a session offers: each hello carries the highest version its sender
 * speaks, the ServerHello the one chosen (the lower of the two), under the server's signature
 * over the whole transcript, so a changed offer is found out like any other change.
 */
export const SessionVersion = {
  /** The specification's four operations over authenticated records. */
  original: 1,
  /** Adds delivery reports, email ids in the listing, delete, and waiting for new mail. */
  mailbox: 2,
  /** Adds sealed emails (end to end encrypted and signed, protocol/sealed/) and fetching public keys. */
  sealed: 3,
  /** Adds listing only what changed in the inbox since the session's last listing. */
  changes: 4,
  /**
   * Sends carry a client-chosen send id: the server stores an email once per (sender, send
   * id) and answers a retry with the first delivery's report, so a report lost on the way
   * never makes a second copy.
   */
  sendIds: 5,
  /**
   * Server key rotation: the ClientHello names the server key the client holds (its SHA-256
   * digest), the server signs with that key while it still accepts it, and after a login on a
   * session signed by the key being replaced it sends the new key, signed by the old one
   * (login.ts, as OpenSSH's UpdateHostKeys).
   */
  serverKeyUpdates: 6,
  /**
   * Reading several emails by id in one exchange: the answer to the view's request may name up
   * to MAX_BATCH_IDS ids, and the emails come back in one message (operations/view-email.ts).
   */
  batchReads: 7,
} as const;
export type SessionVersionNumber = (typeof SessionVersion)[keyof typeof SessionVersion];

/** The highest session version this program speaks. */
export const LATEST_VERSION: SessionVersionNumber = SessionVersion.batchReads;

/** Handshake message types, the first byte of each handshake frame. */
export const HandshakeType = {
  clientHello: 0x01,
  serverHello: 0x02,
} as const;

export const RANDOM_BYTES = 32;
/** The SHA-256 digest of a key's SubjectPublicKeyInfo (fingerprint.ts `keyDigest`). */
export const KEY_DIGEST_BYTES = 32;
export const X25519_PUBLIC_BYTES = 32;

/**
 * Signature contexts, as TLS 1.3 prefixes its CertificateVerify: a signature made for one role
 * (or by any other program using the same RSA key) can never be passed off as the other.
 */
export const SERVER_SIGNATURE_CONTEXT = 'sealed-mail enhanced v1, server transcript signature\0';
export const CLIENT_SIGNATURE_CONTEXT = 'sealed-mail enhanced v1, client transcript signature\0';
export const SERVER_KEY_UPDATE_CONTEXT = 'sealed-mail enhanced v6, server key update signature\0';

/** HKDF-Expand labels, one per secret so that no two secrets are ever equal. */
export const KeyLabel = {
  clientToServerKey: 'sealed-mail v1 c2s key',
  clientToServerIv: 'sealed-mail v1 c2s iv',
  serverToClientKey: 'sealed-mail v1 s2c key',
  serverToClientIv: 'sealed-mail v1 s2c iv',
} as const;

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** Record content types, carried inside the encryption (as TLS 1.3's inner content type). */
export const ContentType = {
  data: 0x17,
  close: 0x15,
} as const;

/**
 * Record plaintexts are padded to a multiple of this, so that short messages ("1" or "4",
 * "Send the email" or "the server request email index") all have the same length on the wire.
 */
export const RECORD_PADDING_BLOCK = 256;

/** The server's answer to the client's credentials, inside the first server record. */
export const LOGIN_ACCEPTED = 'OK';
