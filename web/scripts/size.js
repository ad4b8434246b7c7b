/* global console, process, URL */
// Prints the gzipped size of the built UI (web/dist) and fails when the JavaScript passes its budget.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// 60 KiB until the seal marks, the sealing plan and the visible bidi controls (each a security
// feature people meet in the UI) took it to about 61 KiB; 68 KiB since selection, mark all read,
// the Trash and Sent's reply, search and sort (issue 26) took it to about 66 KiB; 70 KiB since
// the session that survives reloads, tabs and outages (joining, the server banner, drafts shared
// between tabs; issue 26) took it to about 68 KiB.
const JS_BUDGET_BYTES = 70 * 1024;
const assets = fileURLToPath(new URL('../dist/assets/', import.meta.url));

const totals = { js: 0, css: 0 };
for (const name of readdirSync(assets).sort()) {
  const kind = name.endsWith('.js') ? 'js' : name.endsWith('.css') ? 'css' : undefined;
  if (!kind) continue;
  const bytes = readFileSync(join(assets, name));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  totals[kind] += gzipped;
  // Shared protocol code is imported for its limits and counting; no Node API may come with it.
  if (kind === 'js' && /\bBuffer\.|["']node:|\brequire\(/.test(bytes.toString('utf8'))) {
    console.error(`web/dist/assets/${name} uses a Node API, which a browser does not have`);
    process.exitCode = 1;
  }
  console.log(`web/dist/assets/${name}: ${kib(bytes.length)} raw, ${kib(gzipped)} gzipped`);
}
console.log(
  `web UI gzipped: JavaScript ${kib(totals.js)} (budget ${kib(JS_BUDGET_BYTES)}), CSS ${kib(totals.css)}`,
);

const html = readFileSync(fileURLToPath(new URL('../dist/index.html', import.meta.url)), 'utf8');
// The gateway's CSP allows no inline script or style: the page must only reference files.
const inline = /<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle=/i.exec(html);
if (inline) {
  console.error(`web/dist/index.html has inline code (${inline[0]}); the CSP would block it`);
  process.exitCode = 1;
}
if (totals.js > JS_BUDGET_BYTES) {
  console.error('the JavaScript is over its gzipped budget');
  process.exitCode = 1;
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
