#!/usr/bin/env node
/** `npm run server -- --home DIR [...]`: the forking mail server of the classic protocol. */
import { requireSupportedNode } from '../common/version.js';
import { runServerCli } from './cli.js';

requireSupportedNode('sealed-mail-server');

await runServerCli(process.argv.slice(2), 'npm run server --', 'classic');
