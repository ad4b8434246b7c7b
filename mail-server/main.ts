#!/usr/bin/env node
/** `npm run server -- --home DIR [...]`: the forking mail server of the classic protocol. */
import { runServerCli, serverUsage } from './cli.js';
import { defaultServerOptions } from './server.js';

await runServerCli(
  process.argv.slice(2),
  'classic',
  defaultServerOptions.port,
  serverUsage('npm run server', defaultServerOptions.port),
);
