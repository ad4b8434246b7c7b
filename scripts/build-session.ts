#!/usr/bin/env node
/**
 * `npm run build:session` (part of `npm run build`, after tsc): each process started per
 * session, in one bundled file: the mail server's session process,
 * dist/mail-server/session.cjs (mail-server/session-image.ts starts it), and the gateway's
 * session child, dist/gateway/web-bridge/session-child.cjs (gateway/web-bridge/config.ts).
 * Neither needs a package: the build fails when one creeps into their imports (a command-line
 * parser, a schema library or a logger would cost every start its load time).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sessionImageFiles } from '../mail-server/session-image.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const bundles = [
  {
    entry: 'mail-server/worker.ts',
    out: `dist/mail-server/${sessionImageFiles.bundle}`,
    // Loaded only by a session process of a server whose store is PostgreSQL (open-store.ts).
    external: ['pg'],
  },
  {
    entry: 'gateway/web-bridge/session-child.ts',
    out: 'dist/gateway/web-bridge/session-child.cjs',
    external: [],
  },
];

for (const bundle of bundles) {
  const { metafile } = await build({
    entryPoints: [`${root}${bundle.entry}`],
    outfile: `${root}${bundle.out}`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    external: bundle.external,
  });
  const packages = Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/'));
  if (packages.length > 0 || !existsSync(`${root}${bundle.out}`)) {
    process.stderr.write(
      `build:session: ${bundle.entry} imports packages: ${packages.join(', ')}\n`,
    );
    process.exit(1);
  }
}
