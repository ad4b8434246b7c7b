/* global console, process, URL */
// Type-checks the browser code (web/src, Svelte components included) with svelte-check.
// The shared protocol and gateway files it imports join that program, but they are Node code
// checked by the root tsc with Node's types; a diagnostic there that only says a Node type is
// missing here is not the browser's to fix, so diagnostics outside web/ are listed as skipped.
// Whether any Node API reaches the bundle is checked by web/scripts/size.js after the build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
const bin = createRequire(import.meta.url).resolve('svelte-check/bin/svelte-check');
const run = spawnSync(
  process.execPath,
  [
    bin,
    '--workspace',
    web,
    '--tsconfig',
    'tsconfig.app.json',
    '--output',
    'machine',
    '--fail-on-warnings',
  ],
  { encoding: 'utf8' },
);
if (run.error) throw run.error;

let failures = 0;
let skipped = 0;
for (const line of run.stdout.split('\n')) {
  const match = /^\d+ (ERROR|WARNING) "([^"]+)" (\d+:\d+) (.*)$/.exec(line);
  if (!match) continue;
  const [, level, file, position, message] = match;
  if (file.startsWith('../')) {
    skipped++;
    continue;
  }
  failures++;
  console.error(`web/${file}:${position} ${level} ${message}`);
}
if (run.status !== 0 && failures === 0 && skipped === 0) {
  console.error(run.stdout, run.stderr);
  process.exit(1);
}
console.log(
  `svelte-check (web): ${failures} problems${skipped ? `; ${skipped} in shared Node files left to the root tsc` : ''}`,
);
process.exit(failures > 0 ? 1 : 0);
