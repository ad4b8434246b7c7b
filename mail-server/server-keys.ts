/**
 * The server's key pair, and during a rotation (`admin server-key rotate`) the pair it
 * replaced, accepted until the transition window's end. Files of the home (docs/SECURITY.md,
 * "Replacing the server key"):
 *
 *   server_private.pem, server_public.pem   the current pair (the one new bundles hold)
 *   server_previous_private.pem (0600)     the replaced private key, only during a window
 *   server_previous.json                   {"fingerprint": "SHA256:…", "until": "ISO date",
 *                                            "replacedAt": "ISO date"}
 *
 * Read at start and at each reload (SIGHUP); the window's end is checked again at each login
 * (`previousKeyInWindow`), so a window that ends while a server runs is not honoured a moment
 * longer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKey } from '../protocol/crypto.js';
import { keyDigest, keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import type { PreviousServerKey } from '../protocol/login.js';
import { homeError, readKey, readRequired, requirePrivateMode } from './home-files.js';

export const SERVER_PRIVATE_FILE = 'server_private.pem';
export const SERVER_PUBLIC_FILE = 'server_public.pem';
export const PREVIOUS_PRIVATE_FILE = 'server_previous_private.pem';
export const PREVIOUS_WINDOW_FILE = 'server_previous.json';

/** What server_previous.json holds. */
export interface PreviousWindow {
  /** The replaced key's fingerprint, checked against server_previous_private.pem. */
  fingerprint: string;
  /** The end of the transition window (ISO 8601). */
  until: string;
  replacedAt: string;
}

export interface ServerKeys {
  current: KeyObject;
  /** Only while a window is open (at the time of reading). */
  previous: PreviousServerKey | undefined;
}

/** The current pair, checked: the private key closed to others, the public key its own. */
function readCurrentKey(dir: string): KeyObject {
  const privateFile = join(dir, SERVER_PRIVATE_FILE);
  const publicFile = join(dir, SERVER_PUBLIC_FILE);
  const privateKey = readKey(privateFile, parsePrivateKey);
  const publicKey = readKey(publicFile, parsePublicKey);
  requirePrivateMode(privateFile);
  if (!createPublicKey(privateKey).equals(publicKey))
    throw homeError(
      publicFile,
      `does not match ${SERVER_PRIVATE_FILE}, so clients holding it cannot log in; write the matching one: openssl pkey -in ${privateFile} -pubout -out ${publicFile}`,
    );
  return privateKey;
}

/** server_previous.json, its shape checked; throws a HOME_FILE ServerError. */
export function readPreviousWindow(dir: string): PreviousWindow {
  const file = join(dir, PREVIOUS_WINDOW_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRequired(file));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw homeError(file, `is not valid JSON (${error.message})`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const { fingerprint, until, replacedAt } = record;
  if (
    typeof fingerprint !== 'string' ||
    typeof until !== 'string' ||
    typeof replacedAt !== 'string' ||
    Number.isNaN(Date.parse(until))
  )
    throw homeError(
      file,
      'must be {"fingerprint": "SHA256:…", "until": "<ISO date>", "replacedAt": "<ISO date>"}; end the window with: admin server-key finish',
    );
  return { fingerprint, until, replacedAt };
}

/** The replaced key, when a window is open at `nowMs`; a window that has ended is not read. */
function readPrevious(dir: string, nowMs: number): PreviousServerKey | undefined {
  const windowFile = join(dir, PREVIOUS_WINDOW_FILE);
  const privateFile = join(dir, PREVIOUS_PRIVATE_FILE);
  if (!existsSync(windowFile)) return undefined;
  const window = readPreviousWindow(dir);
  const untilMs = Date.parse(window.until);
  if (untilMs <= nowMs) return undefined;
  const privateKey = readKey(privateFile, parsePrivateKey);
  requirePrivateMode(privateFile);
  const publicKey = createPublicKey(privateKey);
  const fingerprint = keyFingerprint(publicKey);
  if (fingerprint !== window.fingerprint)
    throw homeError(
      privateFile,
      `is the key ${fingerprint}, not the ${window.fingerprint} that ${PREVIOUS_WINDOW_FILE} names; end the window with: admin server-key finish`,
    );
  // Made once here: deriving it costs more than the handshake's signature (about 0.4 ms).
  return { privateKey, untilMs, publicKeyDigest: keyDigest(publicKey) };
}

/** Reads the server's keys; throws a HOME_FILE ServerError naming the first bad file. */
export function readServerKeys(dir: string, nowMs = Date.now()): ServerKeys {
  return { current: readCurrentKey(dir), previous: readPrevious(dir, nowMs) };
}

/** The replaced key if its window is still open at `nowMs`: asked at each use. */
export function previousKeyInWindow(
  previous: PreviousServerKey | undefined,
  nowMs = Date.now(),
): PreviousServerKey | undefined {
  return previous && previous.untilMs > nowMs ? previous : undefined;
}
