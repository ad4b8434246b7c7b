/**
 * The gateway's cookie: it names one browser (profile) and proves that this gateway gave it.
 *
 *     v1.<browser id: 16 random bytes, base64url>.<issued: seconds since the epoch>.<HMAC-SHA256>
 *
 * The HMAC's key is kept in the data folder (`DATA/_cookie-key`, 32 random bytes, 0600 in a
 * 0700 folder, written once with writeFileSafely and read with readRegularFile, never through
 * a link), as Jupyter keeps its cookie secret: a restarted gateway still knows the browsers it
 * gave a cookie, and the person signs in again without a new `?token=` link. Deleting the file
 * (or a new data folder) makes every cookie given before worthless. The browser id keys the
 * browser's one session (browser-sessions.ts): a reload or another tab finds it again.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readRegularFile } from '../../common/safe-files.js';
import { privateFolder, writeNewFile } from './private-files.js';
import { secretsEqual } from './security.js';

export const COOKIE_KEY_FILE = '_cookie-key';
const KEY_BYTES = 32;
/** A cookie is good this long after it was given (and the browser keeps it as long). */
export const COOKIE_LIFETIME_SECONDS = 30 * 24 * 3600;
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const ISSUED_PATTERN = /^\d{1,12}$/;

export class BrowserCookies {
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(key: Buffer, now: () => number = Date.now) {
    if (key.length !== KEY_BYTES) throw new Error(`a cookie key has ${KEY_BYTES} bytes`);
    this.#key = key;
    this.#now = now;
  }

  /**
   * The key of `dataDir/_cookie-key`, made on first use. A file of another size is refused
   * rather than replaced: someone else wrote it, and the person should look.
   */
  static fromDataFolder(dataDir: string, now?: () => number): BrowserCookies {
    const folder = privateFolder(dataDir, [], {
      create: true,
      shownRoot: 'the gateway data folder',
    });
    if (folder === undefined) throw new Error('the gateway data folder cannot be made');
    const path = join(folder, COOKIE_KEY_FILE);
    let key = readRegularFile(path, KEY_BYTES, { others: 'throw' });
    if (key === undefined) {
      try {
        writeNewFile(folder, COOKIE_KEY_FILE, randomBytes(KEY_BYTES));
      } catch (error) {
        // Another gateway on the same folder wrote it first: use that one.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      key = readRegularFile(path, KEY_BYTES, { others: 'throw' });
    }
    if (key?.length !== KEY_BYTES)
      throw new Error(`${COOKIE_KEY_FILE} in the gateway data folder is not a cookie key`);
    return new BrowserCookies(key, now);
  }

  /** A new cookie value: for `browserId` (a browser that had one), or for a new browser. */
  issue(browserId: string = randomBytes(16).toString('base64url')): string {
    const issued = String(Math.floor(this.#now() / 1000));
    return `v1.${browserId}.${issued}.${this.#mac(browserId, issued)}`;
  }

  /** The browser id of a value this gateway gave (with this key) and that has not expired. */
  verify(value: string): string | undefined {
    const [version, browserId, issued, mac, ...rest] = value.split('.');
    if (
      version !== 'v1' ||
      rest.length > 0 ||
      browserId === undefined ||
      issued === undefined ||
      mac === undefined ||
      !ID_PATTERN.test(browserId) ||
      !ISSUED_PATTERN.test(issued)
    )
      return undefined;
    if (!secretsEqual(mac, this.#mac(browserId, issued))) return undefined;
    const age = this.#now() / 1000 - Number(issued);
    // A cookie "from the future" came from a clock that was wrong, or from someone else.
    if (age < -300 || age > COOKIE_LIFETIME_SECONDS) return undefined;
    return browserId;
  }

  /** The first of several values (tossed ones included) that verifies. */
  browserOf(values: readonly string[]): string | undefined {
    for (const value of values) {
      const id = this.verify(value);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  #mac(browserId: string, issued: string): string {
    return createHmac('sha256', this.#key)
      .update(`sealed-mail-gateway-cookie v1 ${browserId} ${issued}`)
      .digest('base64url');
  }
}
