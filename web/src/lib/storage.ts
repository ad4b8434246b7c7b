/**
 * Browser storage, kept behind a small interface so the logic runs in tests with a Map.
 * Keys carry a prefix, and per-user keys the account (username and server): two people on one
 * browser never see each other's marks, contacts or drafts.
 */

/** The part of the Web Storage API the UI uses. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Account {
  username: string;
  /** The server as the gateway named it at sign-in (host:port). */
  server: string;
}

const PREFIX = 'sealed-mail:';

export function deviceKey(what: string): string {
  return `${PREFIX}${what}`;
}

/**
 * The account a signed-in session stores under: the user at the server's host. The port is
 * left out because the classic and the enhanced protocol reach one mailbox on two ports.
 */
export function accountOf(username: string, server: string): Account {
  return { username, server: server.replace(/:\d+$/, '') };
}

export function accountKey(account: Account, what: string): string {
  return `${PREFIX}${what}:${account.username}@${account.server}`;
}

/** The stored value, parsed; undefined when absent or unreadable. */
export function readJson(store: KeyValueStore, key: string): unknown {
  try {
    const text = store.getItem(key);
    return text === null ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** Stores a value; false when the browser refused it (quota, storage disabled). */
export function writeJson(store: KeyValueStore, key: string, value: unknown): boolean {
  try {
    store.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export function removeKey(store: KeyValueStore, key: string): void {
  try {
    store.removeItem(key);
  } catch {
    // Storage disabled: there is nothing to remove.
  }
}

/** Storage that lives as long as the page: used where the browser offers none, and in tests. */
export class MemoryStore implements KeyValueStore {
  readonly #values = new Map<string, string>();

  getItem(key: string): string | null {
    return this.#values.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.#values.set(key, value);
  }

  removeItem(key: string): void {
    this.#values.delete(key);
  }
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}
