#!/usr/bin/env node
/** `npm run server -- --home DIR [...]`: the forking mail server of the classic protocol. */
import { runServerCli } from './cli.js';

await runServerCli(process.argv.slice(2), 'npm run server --', 'classic');
