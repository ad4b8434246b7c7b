import type { EmailSecurity, KeyProvenance } from '../../../gateway/messages.js';

/** How the list and the reader show an email's state: its icon, tone and words (docs/SEALED.md, section 8). */
export interface SecurityLook {
  icon: 'lock' | 'unlocked' | 'alert' | 'mail';
  tone: 'sealed' | 'plain' | 'danger' | 'unknown';
  /** The mark's accessible name, and its tooltip. */
  label: string;
}

/** A plain email whose claimed sender could have sealed it: a strong warning. */
export const isSuspectPlain = (security: EmailSecurity): boolean =>
  security.kind === 'plain' && (security.holdsKey || security.sealedBefore);

/** Where a signer's key came from, as a sentence part: "from your keyring". */
export function keySourceText(source: KeyProvenance | undefined): string {
  switch (source) {
    case 'own':
      return 'your own key';
    case 'server':
      return 'from the server, not compared';
    case 'verified':
      return 'verified by you';
    default:
      return 'from your keyring';
  }
}

export function securityLook(security: EmailSecurity | undefined): SecurityLook {
  switch (security?.kind) {
    case 'sealed':
      return {
        icon: 'lock',
        tone: 'sealed',
        label: `Sealed, signed by ${security.signer}, verified (key ${keySourceText(security.keySource)})`,
      };
    case 'sealedNotVerified':
      return {
        icon: 'alert',
        tone: 'danger',
        label:
          security.problem === 'ENVELOPE_ALTERED'
            ? `Sealed by ${security.signer}, but the server changed its From, To or Title line`
            : 'Sealed, not verified: do not trust it',
      };
    case 'plain':
      return isSuspectPlain(security)
        ? {
            icon: 'alert',
            tone: 'danger',
            label: `Not sealed, though ${security.sender} ${security.sealedBefore ? 'has sealed mail to you before' : 'has a key'}: it may be forged`,
          }
        : {
            icon: 'unlocked',
            tone: 'plain',
            label: 'Not sealed: the server could have written it',
          };
    default:
      return {
        icon: 'mail',
        tone: 'unknown',
        label: 'Not opened yet: sealed or not is known once opened',
      };
  }
}
