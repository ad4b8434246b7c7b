/**
 * The content search's index at rest: one file per user and mail server on the client machine,
 * DATA/<user>/search-<16 hex of SHA-256 of the server>.sealed, 0600 in the user's 0700 folder
 * (private-files.ts), written whole with common/safe-files.ts and sealed to the user's own key
 * (local-seal.ts, kind "search index"). Without the unlocked key the file says nothing: no
 * word, sender, title or mark can be read from it, and an altered one does not open (it is then
 * started again, empty). Opened, it is JSON:
 *
 *   {"v":1,"words":[...every word once...],
 *    "emails":[[key, from, receivedAt, title, mark or 0, [word numbers...]], ...]}
 *
 * A file over MAX_FILE_BYTES is not read (started again). The bounds of search-index.ts keep a
 * written one well under it (measured: 16 MB at the bounds; 5.4 MB for 10,000 emails of 84 words).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { FileTooLargeError, readRegularFile, writeFileSafely } from '../../common/safe-files.js';
import { LocalSealError, type LocalSeal } from '../protocol-client/local-seal.js';
import { SearchIndex, type IndexedEmail, type StoredMark } from './search-index.js';
import { privateFolder } from './private-files.js';

const KIND = 'search index';
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const VERSION = 1;
const PROBLEMS: ReadonlySet<string> = new Set([
  'MALFORMED',
  'UNKNOWN_SIGNER',
  'KEY_CHANGED',
  'BAD_SIGNATURE',
  'NOT_FOR_YOU',
  'WRONG_KEY',
  'UNREADABLE',
  'ENVELOPE_ALTERED',
]);
const KEY_SOURCES: ReadonlySet<string> = new Set(['own', 'keyring', 'server', 'verified']);

const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;

/** A mark as this module wrote it; anything else is none. */
function asMark(value: unknown): StoredMark | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const mark = value as Record<string, unknown>;
  if (mark.kind === 'plain') return { kind: 'plain' };
  if (mark.kind === 'sealed' && isText(mark.signer, 256) && isText(mark.fingerprint, 128))
    return typeof mark.keySource === 'string' && KEY_SOURCES.has(mark.keySource)
      ? {
          kind: 'sealed',
          signer: mark.signer,
          fingerprint: mark.fingerprint,
          keySource: mark.keySource as Extract<StoredMark, { kind: 'sealed' }>['keySource'],
        }
      : undefined;
  if (mark.kind === 'sealedNotVerified' && isText(mark.signer, 256))
    return typeof mark.problem === 'string' && PROBLEMS.has(mark.problem)
      ? {
          kind: 'sealedNotVerified',
          signer: mark.signer,
          problem: mark.problem as Extract<StoredMark, { kind: 'sealedNotVerified' }>['problem'],
        }
      : undefined;
  return undefined;
}

export class SearchIndexFile {
  readonly #dataDir: string;
  readonly #username: string;
  readonly #name: string;
  readonly #seal: LocalSeal;

  constructor(dataDir: string, username: string, server: string, seal: LocalSeal) {
    this.#dataDir = dataDir;
    this.#username = username;
    this.#seal = seal;
    const tag = createHash('sha256').update(server, 'utf8').digest('hex').slice(0, 16);
    this.#name = `search-${tag}.sealed`;
  }

  #folder(create: boolean): string | undefined {
    return privateFolder(this.#dataDir, [this.#username], {
      create,
      shownRoot: 'the data folder',
    });
  }

  /** The index as last written; empty when there is none, or it does not open. */
  load(): SearchIndex {
    const index = new SearchIndex();
    const folder = this.#folder(false);
    if (folder === undefined) return index;
    let bytes: Buffer | undefined;
    try {
      bytes = readRegularFile(join(folder, this.#name), MAX_FILE_BYTES, { others: 'throw' });
    } catch (error) {
      if (error instanceof FileTooLargeError) return index;
      throw error;
    }
    if (!bytes) return index;
    let data: unknown;
    try {
      data = JSON.parse(this.#seal.open(KIND, bytes).toString('utf8'));
    } catch (error) {
      if (error instanceof LocalSealError || error instanceof SyntaxError) return index;
      throw error;
    }
    const { v, words, emails } = (data ?? {}) as Record<string, unknown>;
    if (v !== VERSION || !Array.isArray(words) || !Array.isArray(emails)) return index;
    for (const row of emails) {
      if (!Array.isArray(row) || row.length !== 6) continue;
      const [key, from, receivedAt, title, mark, numbers] = row as unknown[];
      if (!isText(key, 1024) || !isText(from, 1024) || !isText(receivedAt, 64)) continue;
      if (!isText(title, 1024) || !Array.isArray(numbers)) continue;
      const stored = asMark(mark);
      const email: IndexedEmail = {
        key,
        from,
        receivedAt,
        title,
        ...(stored ? { mark: stored } : {}),
      };
      const own = numbers.flatMap((number) => {
        const word: unknown = typeof number === 'number' ? words[number] : undefined;
        return typeof word === 'string' ? [word] : [];
      });
      index.addWords(email, own);
    }
    return index;
  }

  /** Writes the index whole, in place of the last one. */
  save(index: SearchIndex): void {
    const numbers = new Map<string, number>();
    const words: string[] = [];
    const emails: unknown[] = [];
    for (const entry of index.entries()) {
      const own = entry.words.map((word) => {
        let number = numbers.get(word);
        if (number === undefined) {
          number = words.length;
          numbers.set(word, number);
          words.push(word);
        }
        return number;
      });
      emails.push([entry.key, entry.from, entry.receivedAt, entry.title, entry.mark ?? 0, own]);
    }
    const text = JSON.stringify({ v: VERSION, words, emails });
    const folder = this.#folder(true);
    if (folder === undefined) return;
    writeFileSafely(folder, this.#name, this.#seal.seal(KIND, Buffer.from(text, 'utf8')), {
      mode: 0o600,
      place: 'replace',
    });
  }
}
