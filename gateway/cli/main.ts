#!/usr/bin/env node
/**
 * `npm run client -- [--keys DIR] [--port 13000]`: the terminal client of the sample sessions.
 * `npm run client:enhanced` (or --enhanced) speaks the enhanced protocol, by default to port 13001.
 */
import { parseArgs } from 'node:util';
import { LineInput } from './line-input.js';
import { runTerminalClient } from './terminal-client.js';

const USAGE = `Usage: npm run client -- [options]

  --keys DIR     where <user>_private.pem and server_public.pem are, directly or in
                 DIR/<user>/ (default: the current folder)
  --port N       the mail server's port (default 13000; 13001 with --enhanced)
  --server HOST  the mail server; asked for when not given
  --enhanced     use the enhanced protocol: the server proves its identity, records are
                 authenticated (AES-256-GCM); prints what it verified
  --help         show this text`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      keys: { type: 'string' },
      port: { type: 'string' },
      server: { type: 'string' },
      enhanced: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const enhanced = values.enhanced ?? false;
const port = Number(values.port ?? (enhanced ? 13001 : 13000));
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`--port must be a TCP port number, not "${values.port ?? ''}"\n`);
  process.exit(2);
}
const input = new LineInput(process.stdin, process.stdout);
const code = await runTerminalClient({
  input,
  write: (text) => process.stdout.write(text),
  keysDir: values.keys ?? process.cwd(),
  port,
  server: values.server,
  channel: enhanced ? 'enhanced' : 'classic',
});
input.close();
process.exitCode = code;
