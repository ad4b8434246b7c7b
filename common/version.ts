/**
 * Which release a program is (`--version`, read from the package.json it was installed with)
 * and whether this Node can run it (package.json's `engines.node`, checked at start, so that
 * an old Node fails with one line instead of a syntax error deep in a module).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'sealed-mail';

interface PackageFile {
  folder: string;
  facts: { name?: unknown; version?: unknown; engines?: { node?: unknown } };
}

/**
 * The nearest folder above this module that holds the project's package.json: the checkout or
 * the installed package, whether this module runs compiled (dist/common/version.js), from the
 * sources, or bundled into a program's one file (scripts/build-session.ts), where every module
 * shares one location.
 */
function findPackage(): PackageFile | undefined {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null) {
        const facts = parsed as PackageFile['facts'];
        if (facts.name === PACKAGE_NAME) return { folder, facts };
      }
    } catch {
      // No package.json here, or not one that can be read: look further up.
    }
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return undefined;
}

const found = findPackage();

/**
 * The project's folder (holding package.json, dist/ and web/dist/): where a program finds the
 * files it ships with.
 */
export const packageFolder = found?.folder ?? fileURLToPath(new URL('../..', import.meta.url));

interface PackageFacts {
  name: string;
  version: string;
  /** The lowest Node release, from `engines.node` (">=20.19"). */
  minimumNode: string;
}

function readPackage(): PackageFacts {
  const facts = found?.facts;
  if (!facts || typeof facts.version !== 'string')
    return { name: PACKAGE_NAME, version: 'unknown', minimumNode: '0' };
  const engine = typeof facts.engines?.node === 'string' ? facts.engines.node : '';
  return {
    name: PACKAGE_NAME,
    version: facts.version,
    minimumNode: /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engine)?.[1] ?? '0',
  };
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
