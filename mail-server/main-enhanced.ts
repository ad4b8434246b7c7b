#!/usr/bin/env node
/** `npm run server:enhanced -- --home DIR [...]`: the same mail server over the enhanced channel. */
import { requireSupportedNode } from '../common/version.js';
import { runServerCli } from './cli.js';

requireSupportedNode('sealed-mail-enhanced');

await runServerCli(process.argv.slice(2), 'npm run server:enhanced --', 'enhanced');
