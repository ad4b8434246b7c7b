/**
 * Senders whose names look like the name of someone the user knows: the user, the keyring's
 * users and everyone whose key was pinned (the people they wrote to or read sealed mail from).
 * A sender called `cIient1` (capital i) beside a known `client1` is a different user whom a
 * reader would take for client1 (protocol/skeleton.ts says which names look alike).
 */
import { isProtocolError } from '../../protocol/errors.js';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import { lookalikeKey } from '../../protocol/skeleton.js';
import type { Keyring } from './keyring.js';

export class Lookalikes {
  readonly #byKey = new Map<string, string[]>();

  /** The names known now; a keyring that cannot be read adds none (its users still sign in). */
  constructor(username: string, keyring: Keyring) {
    const names = new Set([username]);
    try {
      for (const entry of keyring.list()) names.add(entry.name);
      for (const name of keyring.pinned().keys()) names.add(name);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
    }
    for (const name of names) {
      if (!USERNAME_PATTERN.test(name)) continue;
      const key = lookalikeKey(name);
      this.#byKey.set(key, [...(this.#byKey.get(key) ?? []), name]);
    }
  }

  /** The known name `sender` looks like without being it; undefined when none. */
  of(sender: string): string | undefined {
    return this.#byKey.get(lookalikeKey(sender))?.find((name) => name !== sender);
  }
}
