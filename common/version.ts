/**
 * Which release a program is (`--version`, read from the package.json it was installed with)
 * and whether this Node can run it (package.json's `engines.node`, checked at start, so that
 * an old Node fails with one line instead of a syntax error deep in a module).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** dist/common/version.js and common/version.ts both sit two folders below package.json. */
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
const SOURCE_PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));

interface PackageFacts {
  name: string;
  version: string;
  /** The lowest Node release, from `engines.node` (">=20.19"). */
  minimumNode: string;
}

function readPackage(): PackageFacts {
  for (const path of [PACKAGE_JSON, SOURCE_PACKAGE_JSON]) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const facts = parsed as { name?: unknown; version?: unknown; engines?: { node?: unknown } };
    if (facts.name !== 'sealed-mail' || typeof facts.version !== 'string') continue;
    const engine = typeof facts.engines?.node === 'string' ? facts.engines.node : '';
    return {
      name: facts.name,
      version: facts.version,
      minimumNode: /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engine)?.[1] ?? '0',
    };
  }
  return { name: 'sealed-mail', version: 'unknown', minimumNode: '0' };
}

const facts = readPackage();

/** "sealed-mail 0.1.0": what `--version` prints. */
export const versionLine = (): string => `${facts.name} ${facts.version}`;

/** True when `version` ("20.20.2") is at least `minimum` ("20.19"). */
export function isAtLeast(version: string, minimum: string): boolean {
  const have = version.split('.').map(Number);
  const want = minimum.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Exits with one line when this Node is older than package.json's engines.node. */
export function requireSupportedNode(program: string): void {
  const running = process.versions.node;
  if (isAtLeast(running, facts.minimumNode)) return;
  process.stderr.write(
    `${program}: Node ${running} is too old; ${facts.name} needs Node ${facts.minimumNode} or later (node --version; install a newer Node, e.g. from nodejs.org or your distribution's nodejs package)\n`,
  );
  process.exit(1);
}
