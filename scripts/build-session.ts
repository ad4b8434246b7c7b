#!/usr/bin/env node
/**
 * `npm run build:session` (part of `npm run build`, after tsc): the session process in one
 * bundled file, dist/mail-server/session.cjs, which mail-server/session-image.ts starts.
 * A session process needs no package: the build fails when one creeps into its imports
 * (a command-line parser or a logger would cost every process start its load time).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sessionImageFiles } from '../mail-server/session-image.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const { metafile } = await build({
  entryPoints: [`${root}mail-server/worker.ts`],
  outfile: `${root}dist/mail-server/${sessionImageFiles.bundle}`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // Loaded only by a session process of a server whose store is PostgreSQL (open-store.ts).
  external: ['pg'],
});
const packages = Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/'));
if (packages.length > 0) {
  process.stderr.write(
    `build:session: the session process imports packages: ${packages.join(', ')}\n`,
  );
  process.exit(1);
}
