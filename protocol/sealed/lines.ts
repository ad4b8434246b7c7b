/** What the programs print about sealed emails, beside the specification's lines. */
import { nameDifference } from '../name-difference.js';

export const sealedServerLines = {
  /** In place of F.3's line: the server cannot count the characters of a content it cannot read. */
  emailSent: (from: string, to: string, bytes: number) =>
    `A sealed email from ${from} is sent to ${to}: ${bytes} bytes the server cannot read.`,
} as const;

/** A name with its key's fingerprint, as the terminal client shows keys. */
const named = (name: string, fingerprint: string): string => `${name} (${fingerprint})`;

export const sealedClientLines = {
  ownKey: (fingerprint: string) =>
    `Your key: ${fingerprint}. Sealed emails are signed with it and opened with it; others can compare it.`,
  sealed: (readers: readonly { name: string; fingerprint: string }[]) =>
    `Sealed and signed: only ${readers.map((reader) => named(reader.name, reader.fingerprint)).join(', ')} can read it; the server stores it without being able to. The title is not sealed.`,
  pinned: (name: string, fingerprint: string) =>
    `The key of ${name} was not in your keyring: the server's, ${fingerprint}, is now pinned for ${name}. Compare it with ${name}.`,
  withoutKey: (names: readonly string[]) =>
    `No key for ${names.join(', ')}, in your keyring or on the server (no such user?): listed as recipients, they cannot open it.`,
  /** Before a send: for whom it will be sealed, and with which key (RecipientSealing states). */
  willSeal: (plan: readonly { name: string; state: string }[]) => {
    const source: Record<string, string> = {
      keyring: 'key in your keyring',
      server: 'key from the server, not compared',
      own: 'your own key',
      changed: 'KEY CHANGED: nothing will be sent',
      noKey: 'no key anywhere: no such user?',
    };
    const others = plan.filter((entry) => entry.state !== 'own');
    return `Sealing it for ${[...others.map((entry) => `${entry.name} (${source[entry.state] ?? entry.state})`), 'you'].join(', ')}.`;
  },
  notSent: 'Nothing was sent.',
  keyChanged: (warning: string) => `WARNING: ${warning}`,
  namesPrompt: 'Enter usernames (separated by ;): ',
  keyOf: (name: string, fingerprint: string, source: string) =>
    `  ${name}: ${fingerprint} (${source})`,
  noKeyOf: (name: string) => `  ${name}: no key, in your keyring or on the server`,
  verified: (signer: string, fingerprint: string) =>
    `Sealed email: signed by ${named(signer, fingerprint)}, signature verified; decrypted with your key.`,
  notVerified: (warning: string) => `WARNING: this sealed email does not verify. ${warning}`,
  signerKey: (signer: string, provenance: 'own' | 'keyring' | 'server' | 'verified') =>
    provenance === 'own'
      ? 'Key: your own.'
      : provenance === 'verified'
        ? `Key of ${signer}: verified by you.`
        : provenance === 'server'
          ? `Key of ${signer}: from the server, not compared. Compare its fingerprint with ${signer}.`
          : `Key of ${signer}: from your keyring (not compared by you).`,
  plainFromKeyHolder: (sender: string) =>
    `WARNING: not sealed, though you hold the key of ${sender}: anyone who controls the server could have written it in ${sender}'s name. Check with ${sender} another way before acting on it.`,
  plainFromSealer: (sender: string) =>
    `WARNING: not sealed, though ${sender} has sent you sealed mail before: anyone who controls the server could have written it in ${sender}'s name. Check with ${sender} another way before acting on it.`,
  signedAt: (iso: string) => `Signed at: ${iso} (the sender's clock)`,
  /** A sender whose name a reader would take for a known user's (protocol/skeleton.ts). */
  lookalike: (sender: string, known: string, where = '') =>
    `Warning: ${sender}${where} looks like ${known} but is a different user (${nameDifference(sender, known)}).`,
  copy: (firstReceivedAt: string, firstOpenedIso: string) =>
    `Warning: this is a copy of an email already received: the same sealed email (its signed id) was received ${firstReceivedAt} and first opened ${firstOpenedIso}. The server stored it again; it is not new mail.`,
  noId: 'This sealed email carries no id (an older format): a second copy of it could not be told.',
  sealedFor: (readers: readonly { name: string; fingerprint: string }[]) =>
    `Sealed for: ${readers.map((reader) => named(reader.name, reader.fingerprint)).join(', ')}`,
} as const;
