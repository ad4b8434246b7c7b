import type { RecipientSealing } from '../../../gateway/messages.js';
import { MAX_USERNAME_CHARS } from '../../../protocol/limits.js';
import { FINGERPRINT_BYTES, MAX_WRAPPED_KEY_BYTES } from '../../../protocol/sealed/suite.js';
import { spokenList } from './delivery.js';
import { MAX_CONTENT_CHARS } from './limits.js';

/** What the composer says of a draft's sealing, from the gateway's plan for its recipients. */
export interface SealingVerdict {
  /** Every recipient can read it sealed: it goes sealed. */
  willSeal: boolean;
  /** Recipients it is sealed for, with where their key came from. */
  sealedFor: RecipientSealing[];
  /** Recipients it cannot be sealed for, and why, in words. */
  notSealable: { name: string; why: string }[];
  /** Recipients whose key is not the pinned one: nothing is sent to anyone until that is settled. */
  changed: string[];
  /** Sealed, it would be longer than the classic protocol's content limit. */
  tooLong: boolean;
}

/** A name as the sealed format writes it: its length (2 bytes) and up to 64 bytes. */
const NAME_FIELD = 2 + MAX_USERNAME_CHARS;
/**
 * Each reader at their largest: their name in the recipients and again in their key's entry, a
 * fingerprint and an RSA-OAEP block of up to 512 bytes (RSA-4096) with its length.
 */
const PER_KEY = 2 * NAME_FIELD + FINGERPRINT_BYTES + 2 + MAX_WRAPPED_KEY_BYTES;

/**
 * The armoured length a sealed email would have (base64 in lines of 64 between two marker
 * lines), from the UTF-8 bytes of its content and title and the number of keys it is sealed
 * for. Generous by design: every fixed field, each name and each wrapped RSA-4096 key counted
 * at its largest, so that a draft said to fit always does (test/web/sealing.test.ts checks it
 * against real sealed emails).
 */
export function sealedArmourChars(contentBytes: number, titleBytes: number, keys: number): number {
  const FIXED = 1_024; // version, the sender, times, id, nonce, lengths, commitment, tag, signature
  const bytes = FIXED + titleBytes + contentBytes + keys * PER_KEY;
  const base64 = Math.ceil(bytes / 3) * 4;
  return base64 + Math.ceil(base64 / 64) + 64;
}

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).byteLength;

/**
 * What a send will do. `serverKeys`: the session asks the server for keys the keyring lacks
 * (the enhanced protocol, session version 3), so a name with no key there is no user at all and
 * does not keep the email from being sealed for the others; otherwise a name without a key on
 * this computer does. `carriesSeal`: the session sends the sealed email itself (no content
 * limit applies to its armour).
 */
export function sealingVerdict(
  plan: readonly RecipientSealing[],
  draft: { title: string; content: string },
  { serverKeys }: { serverKeys: boolean },
): SealingVerdict {
  const sealedFor = plan.filter((entry) => entry.state !== 'noKey' && entry.state !== 'changed');
  const changed = plan.filter((entry) => entry.state === 'changed').map((entry) => entry.name);
  const notSealable = serverKeys
    ? []
    : plan
        .filter((entry) => entry.state === 'noKey')
        .map((entry) => ({ name: entry.name, why: 'no key of theirs on this computer' }));
  const tooLong =
    !serverKeys &&
    sealedArmourChars(utf8Bytes(draft.content), utf8Bytes(draft.title), plan.length + 1) >
      MAX_CONTENT_CHARS;
  return {
    willSeal: notSealable.length === 0 && changed.length === 0 && !tooLong,
    sealedFor,
    notSealable,
    changed,
    tooLong,
  };
}

const SOURCE: Record<RecipientSealing['state'], string> = {
  keyring: 'key in your keyring',
  server: 'key from the server, not compared',
  own: 'your own key',
  changed: 'key changed',
  noKey: 'no key',
};

/** One line for the composer: whether the email will be sealed, for whom, and why not. */
export function sealingSummary(verdict: SealingVerdict): string {
  if (verdict.changed.length > 0)
    return `Cannot be sent: the key of ${verdict.changed.join(', ')} is not the one pinned. Ask them whether it really changed.`;
  if (verdict.willSeal) {
    const names = verdict.sealedFor
      .filter((entry) => entry.state !== 'own')
      .map((entry) => `${entry.name} (${SOURCE[entry.state]})`);
    return `Sealed: only ${spokenList([...names, 'you'])} can read it.`;
  }
  const reasons = [
    ...verdict.notSealable.map((entry) => `${entry.name} has ${entry.why}`),
    ...(verdict.tooLong ? ['it is too long to be sealed on this protocol'] : []),
  ];
  return `Not sealed: ${reasons.join('; ')}. It will go as plain text, which the server can read.`;
}
