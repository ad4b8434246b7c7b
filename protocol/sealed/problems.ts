/**
 * Why a sealed email is not shown as verified, and what to tell the person. Browser-safe (no
 * Node imports): the gateway sends the code and the text, the UI shows them.
 */
export type SealedProblem =
  /** Not a sealed email this program can read. */
  | 'MALFORMED'
  /** No key for the signer: not in the keyring, and the server has none. */
  | 'UNKNOWN_SIGNER'
  /** The signer's key is not the one pinned for them. */
  | 'KEY_CHANGED'
  /** The signature does not hold with the signer's key: altered or forged. */
  | 'BAD_SIGNATURE'
  /** It was not sealed for this user: re-addressed or replayed to them. */
  | 'NOT_FOR_YOU'
  /** It was sealed for another key of this user. */
  | 'WRONG_KEY'
  /** Signed, yet its key or content does not decrypt: the sender's program is broken or hostile. */
  | 'UNREADABLE'
  /** Authentic, but the server's From, To or Title line is not what the sender signed. */
  | 'ENVELOPE_ALTERED';

export interface ProblemFacts {
  /** Who the email says signed it. */
  signer: string;
  /** The readers it was sealed for. */
  readers: readonly string[];
  /** ENVELOPE_ALTERED: the lines that differ; MALFORMED, KEY_CHANGED: what is wrong. */
  detail: string;
}

/** One sentence for the person, saying what it means and what was done. */
export function sealedWarning(problem: SealedProblem, facts: ProblemFacts): string {
  const { signer, readers, detail } = facts;
  switch (problem) {
    case 'MALFORMED':
      return `This sealed email cannot be read (${detail}): it was damaged or altered. Its content is not shown.`;
    case 'UNKNOWN_SIGNER':
      return `There is no key for ${signer} in your keyring or on the server, so who wrote this email cannot be checked. Its content is not shown.`;
    case 'KEY_CHANGED':
      return `${detail} Its content is not shown.`;
    case 'BAD_SIGNATURE':
      return `The signature of ${signer} does not hold: this email was altered or forged after it was sealed. Its content is not shown.`;
    case 'NOT_FOR_YOU':
      return `This email was not sealed for you (only for ${readers.join(', ')}): the server re-addressed or replayed it to you. Its content is not shown.`;
    case 'WRONG_KEY':
      return 'This email was sealed for another key of yours than the one on this machine. Its content is not shown.';
    case 'UNREADABLE':
      return `This email is signed by ${signer} but does not decrypt: their program is broken or hostile. Its content is not shown.`;
    case 'ENVELOPE_ALTERED':
      return `The server's ${detail} of this email differs from what ${signer} signed: shown here is what they signed.`;
  }
}
