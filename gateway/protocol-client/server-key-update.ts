/**
 * A new server key handed over by the server during a key rotation (protocol/enhanced/
 * key-update.ts has already checked that the key this computer held signed it, over a session
 * that key verified). Here it replaces server_public.pem, whole (common/safe-files.ts), and the
 * key held in memory, so the next session verifies with the new key.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeFileSafely } from '../../common/safe-files.js';
import { parsePublicKey } from '../../protocol/crypto.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { enhancedClientLines } from '../../protocol/enhanced/lines.js';
import type { ServerKeyUpdate } from '../../protocol/enhanced/key-update.js';
import type { ClientKeys } from '../../protocol/login.js';

/** What was done with a server key update, for the one line that tells the user. */
export interface ServerKeyAdopted {
  fingerprint: string;
  replacedFingerprint: string;
  untilMs: number;
  /** The file replaced; undefined when the keys came from no file (nothing to write). */
  file: string | undefined;
  /** Why the file could not be replaced (the new key is held in memory all the same). */
  writeProblem?: string;
}

const PUBLIC_MODE = 0o644;

/**
 * Writes the new key over `file` if the file still holds the key that signed it (the
 * administrator may have handed out a new bundle meanwhile: that is then kept), and holds the
 * new key in `keys` from now on.
 */
export function adoptServerKey(
  keys: ClientKeys,
  file: string | undefined,
  update: ServerKeyUpdate,
): ServerKeyAdopted {
  let written: string | undefined;
  let writeProblem: string | undefined;
  if (file !== undefined && holds(file, update)) {
    const pem = update.publicKey.export({ type: 'spki', format: 'pem' });
    try {
      writeFileSafely(dirname(file), basename(file), pem, { mode: PUBLIC_MODE, place: 'replace' });
      written = file;
    } catch (error) {
      // A read-only bundle must not cost the session the server just let in.
      writeProblem = `${file} could not be replaced (${(error as Error).message})`;
    }
  }
  keys.serverPublicKey = update.publicKey;
  return {
    fingerprint: keyFingerprint(update.publicKey),
    replacedFingerprint: keyFingerprint(update.replaced),
    untilMs: update.untilMs,
    file: written,
    ...(writeProblem === undefined ? {} : { writeProblem }),
  };
}

/** What to tell the user, once, of a new server key adopted (the terminal prints it, the web page shows it). */
export function serverKeyAdoptedText(adopted: ServerKeyAdopted): string {
  const until = new Date(adopted.untilMs).toISOString();
  return adopted.writeProblem === undefined
    ? enhancedClientLines.serverKeyReplaced(
        adopted.fingerprint,
        adopted.replacedFingerprint,
        until,
        adopted.file,
      )
    : enhancedClientLines.serverKeyNotStored(
        adopted.fingerprint,
        adopted.replacedFingerprint,
        until,
        adopted.writeProblem,
      );
}

function holds(file: string, update: ServerKeyUpdate): boolean {
  try {
    return parsePublicKey(readFileSync(file), file).equals(update.replaced);
  } catch {
    return false;
  }
}
