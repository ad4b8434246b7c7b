#!/usr/bin/env node
/**
 * `npm run build:session` (part of `npm run build`, after tsc): the programs started often, each
 * in one bundled file, so that a start does not resolve, read and compile hundreds of modules:
 *
 * - each process started per session: the mail server's session process,
 *   dist/mail-server/session.cjs (mail-server/session-image.ts starts it), and the gateway's
 *   session child, dist/gateway/web-bridge/session-child.cjs (gateway/web-bridge/config.ts).
 *   Neither needs a package: the build fails when one creeps into their imports (a command-line
 *   parser, a schema library or a logger would cost every start its load time).
 * - the gateway, dist/gateway/main.js in place of tsc's module (its packages included): a start
 *   cost 0.55 s of CPU, most of it loading about 400 modules, and 0.30 s bundled. Its files are
 *   found from the package's folder (common/version.ts `packageFolder`), not from its modules'
 *   places, which a bundle does not keep.
 * - the mail servers, the terminal client and `npm run admin`, the same way: an administrator
 *   runs admin often, a person the client, and the test suite starts each of them hundreds of
 *   times. CPU to a server's ready line 150 -> 105 ms, `admin users list` 152 -> 113 ms, the
 *   client's `--help` 141 -> 91 ms. node-postgres is in the servers' bundles but, as in the
 *   modules, evaluated only when the store is PostgreSQL (its import is dynamic).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sessionImageFiles } from '../mail-server/session-image.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Bundle {
  entry: string;
  out: string;
  external: string[];
  format: 'cjs' | 'esm';
  /** Whether packages may be bundled in (a program started per session may not have any). */
  packages: boolean;
}

const bundles: Bundle[] = [
  {
    entry: 'mail-server/worker.ts',
    out: `dist/mail-server/${sessionImageFiles.bundle}`,
    // Loaded only by a session process of a server whose store is PostgreSQL (open-store.ts).
    external: ['pg'],
    format: 'cjs',
    packages: false,
  },
  {
    entry: 'gateway/web-bridge/session-child.ts',
    out: 'dist/gateway/web-bridge/session-child.cjs',
    external: [],
    format: 'cjs',
    packages: false,
  },
  ...[
    'gateway/main',
    'mail-server/main',
    'mail-server/main-enhanced',
    'gateway/terminal/main',
    'scripts/admin',
  ].map((program): Bundle => ({
    entry: `${program}.ts`,
    out: `dist/${program}.js`,
    // node-postgres's optional native binding, which it loads only when asked to.
    external: ['pg-native'],
    // ES modules, as tsc's were (some await at their top level).
    format: 'esm',
    packages: true,
  })),
];

// The packages bundled into an ES module still call require() for Node's own modules.
const REQUIRE_IN_ESM =
  "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);";

for (const bundle of bundles) {
  const { metafile } = await build({
    entryPoints: [`${root}${bundle.entry}`],
    outfile: `${root}${bundle.out}`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: bundle.format,
    // Whitespace and syntax only: the names stay, so that a stack in a log names its functions
    // (CPU to ready, 10 starts each: a server's 110 ms either way, the gateway's 210 against 220).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    external: bundle.external,
    allowOverwrite: true,
    ...(bundle.format === 'esm' ? { banner: { js: REQUIRE_IN_ESM } } : {}),
  });
  const packages = Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/'));
  if ((!bundle.packages && packages.length > 0) || !existsSync(`${root}${bundle.out}`)) {
    process.stderr.write(
      `build:session: ${bundle.entry} imports packages: ${packages.join(', ')}\n`,
    );
    process.exit(1);
  }
}
