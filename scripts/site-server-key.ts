/**
 * `admin server-key rotate|status|finish`: replaces the server's key pair without locking out
 * the clients that hold the old public key. The old pair stays as the "previous" key, accepted
 * until the transition window's end (mail-server/server-keys.ts reads it; docs/SECURITY.md,
 * "Replacing the server key", draws the files): classic clients with an old bundle still log in, and enhanced clients learn
 * the new key over a session the old key verified (protocol/enhanced/key-update.ts).
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile, removeFileDurably, writeFileSafely } from '../common/safe-files.js';
import { ServerError } from '../mail-server/errors.js';
import {
  PREVIOUS_PRIVATE_FILE,
  PREVIOUS_WINDOW_FILE,
  readPreviousWindow,
  readServerKeys,
  SERVER_PRIVATE_FILE,
  SERVER_PUBLIC_FILE,
  type PreviousWindow,
} from '../mail-server/server-keys.js';
import { generateRsaKeyPair } from '../protocol/crypto.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { PRIVATE_MODE, PUBLIC_MODE } from './site-bundle.js';
import { SiteUsersError } from './user-pass.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_WINDOW_DAYS = 30;
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** The home's keys as a server would read them; a problem is told the way the admin says them. */
function siteKeys(home: string, nowMs: number): ReturnType<typeof readServerKeys> {
  try {
    return readServerKeys(home, nowMs);
  } catch (error) {
    if (error instanceof ServerError) throw new SiteUsersError(error.message);
    throw error;
  }
}

function windowOf(home: string): PreviousWindow | undefined {
  if (!existsSync(join(home, PREVIOUS_WINDOW_FILE))) return undefined;
  try {
    return readPreviousWindow(home);
  } catch (error) {
    if (error instanceof ServerError) throw new SiteUsersError(error.message);
    throw error;
  }
}

export interface Rotated {
  oldFingerprint: string;
  newFingerprint: string;
  until: string;
}

/**
 * Makes a new key pair and keeps the old one as the previous key until `windowDays` from now.
 * Refuses while another window is open (the key before would be dropped at once) unless `force`.
 * Written in an order that never loses the old key: the previous key's files first, then the
 * new private key, then its public key (each file whole, common/safe-files.ts).
 */
export async function rotateServerKey(
  home: string,
  { windowDays, force, nowMs = Date.now() }: { windowDays: number; force: boolean; nowMs?: number },
): Promise<Rotated> {
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 3650)
    throw new SiteUsersError(`--window-days ${windowDays}: give a whole number of days, 1 to 3650`);
  const keys = siteKeys(home, nowMs);
  const open = windowOf(home);
  if (open && Date.parse(open.until) > nowMs && !force)
    throw new SiteUsersError(
      `a key rotation is under way: the key ${open.fingerprint} is still accepted until ${open.until}. ` +
        'A new rotation now would stop accepting it at once, locking out the clients that still hold it. ' +
        `Wait for the window to end, end it first with: sealed-mail-admin --home ${home} server-key finish, or rotate anyway with --force`,
    );
  const oldPem = readRegularFile(join(home, SERVER_PRIVATE_FILE), MAX_KEY_FILE_BYTES);
  if (!oldPem) throw new SiteUsersError(`${join(home, SERVER_PRIVATE_FILE)} is not a regular file`);
  const oldFingerprint = keyFingerprint(createPublicKey(keys.current));
  const fresh = await generateRsaKeyPair();
  const until = new Date(nowMs + windowDays * DAY_MS).toISOString();
  const window: PreviousWindow = {
    fingerprint: oldFingerprint,
    until,
    replacedAt: new Date(nowMs).toISOString(),
  };
  const replace = (name: string, content: string, mode: number): void => {
    writeFileSafely(home, name, content, { mode, place: 'replace' });
  };
  replace(PREVIOUS_PRIVATE_FILE, oldPem.toString('utf8'), PRIVATE_MODE);
  replace(PREVIOUS_WINDOW_FILE, `${JSON.stringify(window, null, 2)}\n`, PUBLIC_MODE);
  replace(SERVER_PRIVATE_FILE, fresh.privatePem, PRIVATE_MODE);
  replace(SERVER_PUBLIC_FILE, fresh.publicPem, PUBLIC_MODE);
  return {
    oldFingerprint,
    newFingerprint: keyFingerprint(createPublicKey(createPrivateKey(fresh.privatePem))),
    until,
  };
}

export interface KeyStatus {
  current: string;
  previous?: { fingerprint: string; until: string; open: boolean };
}

/** The current key's fingerprint, and the previous key's with its window, if any. */
export function serverKeyStatus(home: string, nowMs = Date.now()): KeyStatus {
  const keys = siteKeys(home, nowMs);
  const current = keyFingerprint(createPublicKey(keys.current));
  const window = windowOf(home);
  if (!window) return { current };
  return {
    current,
    previous: {
      fingerprint: window.fingerprint,
      until: window.until,
      open: Date.parse(window.until) > nowMs,
    },
  };
}

/** Ends the window now: the previous key's files go. Returns its fingerprint, if there was one. */
export function finishServerKeyWindow(home: string): string | undefined {
  let window: PreviousWindow | undefined;
  try {
    window = windowOf(home);
  } catch {
    // A broken window file is one more reason to end the window: it goes all the same.
  }
  // The window's file first: without it the previous key is never read, even if what follows fails.
  const removedWindow = removeFileDurably(home, PREVIOUS_WINDOW_FILE);
  const removedKey = removeFileDurably(home, PREVIOUS_PRIVATE_FILE);
  if (!removedWindow && !removedKey) return undefined;
  return window?.fingerprint ?? 'the previous key';
}
