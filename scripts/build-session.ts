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
  {
    entry: 'gateway/main.ts',
    out: 'dist/gateway/main.js',
    external: [],
    // An ES module, as tsc's was (it awaits at its top level).
    format: 'esm',
    packages: true,
  },
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
    minify: true,
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
