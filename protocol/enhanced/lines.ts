/**
 * What the enhanced programs print to show what they verified (section V.4). The classic
 * server lines (protocol/texts.ts) are printed too, unchanged; these come beside them.
 */
export const enhancedServerLines = {
  identity: (fingerprint: string) =>
    `Enhanced protocol: signing handshakes with server key ${fingerprint}`,
  handshake: (peer: string) =>
    `Handshake with ${peer}: transcript signed (RSA-PSS), ephemeral X25519 key exchange done, AES-256-GCM keys derived (HKDF-SHA256)`,
  clientVerified: (user: string, fingerprint: string) =>
    `Client ${user} verified: transcript signature checks with ${user}_public.pem (${fingerprint}), password correct`,
  handshakeFailed: (peer: string, reason: string) => `Handshake with ${peer} failed: ${reason}`,
  recordFailed: (user: string, reason: string) =>
    `Session with ${user} ended: ${reason}. Nothing from it was used.`,
  records: (user: string, received: number, sent: number) =>
    `Session with ${user}: ${received} records received and ${sent} records sent, every one authenticated (AES-256-GCM)`,
} as const;

export const enhancedClientLines = {
  serverVerified: (fingerprint: string) =>
    `Server identity verified: the handshake is signed by the key of server_public.pem (${fingerprint})`,
  keyExchange:
    'Key exchange: ephemeral X25519, keys from HKDF-SHA256 over the transcript; records are AES-256-GCM with sequence numbers',
  records: (sent: number, received: number) =>
    `${sent} records sent and ${received} records received, every one authenticated`,
  sessionVersion: (version: number) => `Session version ${version}`,
  serverKeyReplaced: (fingerprint: string, replaced: string, until: string, file?: string) =>
    `The server's key was replaced by its administrator: this computer now holds the new key (${fingerprint})${file === undefined ? '' : ` in ${file}`}, which the server handed over signed by the key held before (${replaced}). Nothing to do; the old key is accepted until ${until} only.`,
  serverKeyNotStored: (fingerprint: string, replaced: string, until: string, problem: string) =>
    `The server's key was replaced by its administrator: the server handed over the new key (${fingerprint}) signed by the key held before (${replaced}), but ${problem}. Make server_public.pem writable and sign in again, or ask the administrator for a new bundle, before ${until}: the old key is refused after that.`,
} as const;

/** What the terminal client says of the operations of session version 2. */
export const mailboxClientLines = {
  refused: (reason: string) => `The server refused the email: ${reason}.`,
  delivered: (name: string) => `  ${name}: delivered`,
  unknownUser: (name: string) => `  ${name}: no such user`,
  refusedFor: (name: string, reason: string) => `  ${name}: refused (${reason})`,
  deletePrompt: 'Enter the email index you wish to delete: ',
  deleted: (index: number) => `Email ${index} is deleted.`,
  notThere: (index: number) => `Email ${index} was no longer in your inbox.`,
  waiting: 'Waiting for new mail; press Enter to stop.',
  newMail: 'New mail has arrived.',
  stoppedWaiting: 'Stopped waiting.',
  changes: (added: number, removed: number, total: number) =>
    `Since the last listing: ${added} new, ${removed} gone; ${total} in the inbox.`,
  firstChanges: (total: number) => `The session's first listing: ${total} in the inbox.`,
} as const;
