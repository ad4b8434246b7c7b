/**
 * Whether a classic sign-in is a downgrade: its host had an enhanced server that answered
 * before (enhanced-memory.ts) and none of them answers now. Someone who drops the enhanced port
 * would otherwise get the browser onto the classic protocol, whose server is never verified,
 * without anyone choosing it; so the gateway refuses such a sign-in unless the person chose the
 * fallback, warned, and the UI says so before anything is typed.
 */
import type { FastifyBaseLogger } from 'fastify';
import { EnhancedServerMemory } from './enhanced-memory.js';
import { reachabilityProbe } from './probe.js';
import { formatServerAddress, type ServerAddress } from './server-address.js';

export class DowngradeGuard {
  readonly #memory: EnhancedServerMemory;
  /** One probe per enhanced server, each remembering its answer for a few seconds. */
  readonly #probes = new Map<string, () => Promise<boolean>>();

  constructor(dataDir: string, logger?: FastifyBaseLogger) {
    this.#memory = new EnhancedServerMemory(dataDir, logger);
  }

  /** `enhanced` answered for sign-ins to each of `hosts`. */
  remember(hosts: readonly string[], enhanced: ServerAddress): void {
    for (const host of new Set([enhanced.host, ...hosts])) this.#memory.remember(host, enhanced);
  }

  /** Whether any of these servers' hosts had an enhanced server (no connection made). */
  remembers(servers: readonly ServerAddress[]): boolean {
    return servers.some((server) => this.#memory.serversFor(server.host).length > 0);
  }

  /**
   * For a classic sign-in to `servers` (tried in turn): the enhanced server (`HOST:PORT`) of
   * the first of their hosts that had one and where none answers now; undefined when classic
   * downgrades nothing.
   */
  async missingEnhanced(servers: readonly ServerAddress[]): Promise<string | undefined> {
    for (const server of servers) {
      const remembered = this.#memory.serversFor(server.host);
      if (remembered.length === 0) continue;
      const answers = await Promise.all(remembered.map((address) => this.#probe(address)));
      if (!answers.includes(true)) return formatServerAddress(remembered[0] ?? server);
    }
    return undefined;
  }

  #probe(address: ServerAddress): Promise<boolean> {
    const key = formatServerAddress(address);
    let probe = this.#probes.get(key);
    if (!probe) {
      probe = reachabilityProbe(address);
      this.#probes.set(key, probe);
    }
    return probe();
  }
}
