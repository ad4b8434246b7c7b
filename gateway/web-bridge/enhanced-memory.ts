/**
 * The enhanced servers this gateway has reached, kept in its data folder so that a restart, a
 * new browser or a cleared profile does not forget them. When one of them stops answering, a
 * classic sign-in to its host is a downgrade that someone dropping the enhanced port may be
 * forcing, and it needs the person's explicit choice (see downgrade-guard.ts).
 *
 * A record says "a sign-in to HOST may use the enhanced server ENHANCED" (HOST is the enhanced
 * server's own host, or the classic server's when the gateway's two defaults differ). One file
 * per record, `DATA/_enhanced-servers/<HOST>@<ENHANCED as HOST:PORT>` (URI-encoded; it holds only
 * when it was first seen), 0600 in a 0700 folder (private-files.ts). A record is only ever
 * added, never rewritten, so each is a new file; the folder's name starts with "_", which no
 * username can, so it is never a user's folder.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { GatewayError } from './errors.js';
import { readRegularFile } from '../../common/safe-files.js';
import { privateFolder, writeNewFile } from './private-files.js';
import { formatServerAddress, parseServerAddress, type ServerAddress } from './server-address.js';

export const ENHANCED_MEMORY_FOLDER = '_enhanced-servers';
/** More than one machine's gateway meets; a folder with more is read this far. */
const MAX_REMEMBERED = 1000;
const SHOWN_ROOT = 'the gateway data folder';

const keyOf = (address: ServerAddress): string =>
  formatServerAddress({ host: address.host.toLowerCase(), port: address.port });

export class EnhancedServerMemory {
  readonly #dataDir: string;
  readonly #logger: FastifyBaseLogger | undefined;
  /** Host (lower case) → the enhanced servers remembered on it, as `HOST:PORT`. */
  readonly #byHost = new Map<string, Set<string>>();

  constructor(dataDir: string, logger?: FastifyBaseLogger) {
    this.#dataDir = dataDir;
    this.#logger = logger;
    this.#load();
  }

  /** The enhanced servers that a sign-in to this host has had. */
  serversFor(host: string): ServerAddress[] {
    const found = this.#byHost.get(host.toLowerCase());
    return found ? [...found].map((text) => parseServerAddress(text)) : [];
  }

  /** Records that `enhanced` answered for sign-ins to `host`; kept on disk the first time. */
  remember(host: string, enhanced: ServerAddress): void {
    const name = `${encodeURIComponent(host.toLowerCase())}@${encodeURIComponent(keyOf(enhanced))}`;
    if (!this.#add(host, keyOf(enhanced))) return;
    try {
      const folder = privateFolder(this.#dataDir, [ENHANCED_MEMORY_FOLDER], {
        create: true,
        shownRoot: SHOWN_ROOT,
      });
      if (folder === undefined) return;
      writeNewFile(folder, name, Buffer.from(`${new Date().toISOString()}\n`));
    } catch (error) {
      // Another gateway on the same folder may have written it first: that is the same record.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      // Still remembered until the gateway stops; the log says why not longer.
      this.#logger?.warn({ err: error }, 'cannot keep the enhanced server memory');
    }
  }

  /** False when it was known already. */
  #add(host: string, enhanced: string): boolean {
    const key = host.toLowerCase();
    const known = this.#byHost.get(key) ?? new Set<string>();
    if (known.has(enhanced)) return false;
    known.add(enhanced);
    this.#byHost.set(key, known);
    return true;
  }

  #load(): void {
    let folder: string | undefined;
    try {
      folder = privateFolder(this.#dataDir, [ENHANCED_MEMORY_FOLDER], {
        create: false,
        shownRoot: SHOWN_ROOT,
      });
    } catch (error) {
      this.#logger?.warn({ err: error }, 'the enhanced server memory is not read');
      return;
    }
    if (folder === undefined) return;
    for (const name of readdirSync(folder).slice(0, MAX_REMEMBERED)) {
      // Only regular files, never a link: readRegularFile says which.
      if (readRegularFile(join(folder, name), 0, { whole: false }) === undefined) continue;
      const record = parseRecord(name);
      if (record) this.#add(record.host, keyOf(record.enhanced));
    }
  }
}

/** `HOST@ENHANCED` as written by `remember`; undefined for any other name (a temporary file). */
function parseRecord(name: string): { host: string; enhanced: ServerAddress } | undefined {
  const at = name.indexOf('@');
  if (at <= 0) return undefined;
  try {
    const host = decodeURIComponent(name.slice(0, at));
    const enhanced = parseServerAddress(decodeURIComponent(name.slice(at + 1)));
    // The host must be one a sign-in could name.
    parseServerAddress(host.includes(':') ? `[${host}]` : host);
    return { host, enhanced };
  } catch (error) {
    if (error instanceof GatewayError || error instanceof URIError) return undefined;
    throw error;
  }
}
