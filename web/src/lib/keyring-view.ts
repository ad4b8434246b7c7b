import type { KeyringEntry } from '../../../gateway/messages.js';

/**
 * The keyring as the page shows it, kept up to date from what the session process reports:
 * keys fetched from the server and pinned now, and keys the user marked verified.
 */

const byName = (a: KeyringEntry, b: KeyringEntry): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The keyring with keys pinned from the server added (names it has already are left alone); undefined when nothing is new. */
export function withPinnedKeys(
  keyring: readonly KeyringEntry[],
  keys: readonly { name: string; fingerprint: string }[],
): KeyringEntry[] | undefined {
  const known = new Set(keyring.map((entry) => entry.name));
  const added = keys
    .filter((key) => !known.has(key.name))
    .map((key) => ({ ...key, provenance: 'server' as const }));
  return added.length === 0 ? undefined : [...keyring, ...added].sort(byName);
}

/** The keyring with `verified` (as the gateway recorded it) marked "verified by you". */
export function withVerifiedKey(
  keyring: readonly KeyringEntry[],
  verified: KeyringEntry,
): KeyringEntry[] {
  return keyring.map((each) =>
    each.name === verified.name && each.fingerprint === verified.fingerprint
      ? { ...each, provenance: verified.provenance ?? 'verified' }
      : each,
  );
}
