/**
 * A server on the file store never loads node-postgres: no chain of static imports leads from
 * the server's or a session process's entry to `pg` (the PostgreSQL store and throttle are
 * imported dynamically, when the --store URL names PostgreSQL). Read from the sources' import
 * lines; `import type` is erased by the compiler and does not count.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** The chain of static imports from `entry` to the bare module `target`, if there is one. */
function chainTo(entry: string, target: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]): string[] | undefined => {
    if (seen.has(file)) return undefined;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const [, typeOnly, name = ''] = match;
      if (typeOnly) continue;
      if (name === target) return [...chain, name];
      if (!name.startsWith('.')) continue;
      const next = join(dirname(file), name.replace(/\.js$/, '.ts'));
      const found = walk(next, [...chain, next.slice(ROOT.length + 1)]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(join(ROOT, entry), [entry]);
}

describe('node-postgres', () => {
  it.each(['mail-server/main.ts', 'mail-server/main-enhanced.ts', 'mail-server/worker.ts'])(
    'is not loaded by %s unless PostgreSQL is the store',
    (entry) => {
      expect(chainTo(entry, 'pg')).toBeUndefined();
    },
  );

  it('is found by this check where it is imported statically', () => {
    expect(chainTo('mail-server/throttle/postgres.ts', 'pg')).toEqual([
      'mail-server/throttle/postgres.ts',
      'mail-server/store/postgres-connection.ts',
      'pg',
    ]);
  });
});
