#!/usr/bin/env node
/**
 * `npm run client -- [options]`: the terminal client of the sample sessions.
 * `npm run client:enhanced` (or --enhanced) speaks the enhanced protocol.
 */
import { requireSupportedNode, versionLine } from '../../common/version.js';
import { Command, Option } from 'commander';
import { CHANNEL_KINDS, type ChannelKind } from '../../protocol/channel-kinds.js';
import { channels } from '../../protocol/channels.js';
import { integerArgument, parseCommandLine } from '../../common/program.js';
import { LineInput } from './line-input.js';
import { runTerminalClient } from './terminal-client.js';

requireSupportedNode('sealed-mail-client');

const command = new Command('npm run client --')
  .description('The terminal client of the Secure Mail Transfer Protocol.')
  .version(versionLine())
  .option(
    '--keys <dir>',
    'where <user>_private.pem and server_public.pem are, directly or in DIR/<user>/ (default: the current folder)',
  )
  .addOption(
    new Option(
      '--port <n>',
      `the mail server's port (default: the protocol's, ${channels.classic.defaultPort} classic, ${channels.enhanced.defaultPort} enhanced)`,
    ).argParser(integerArgument(1, 65535)),
  )
  .option(
    '--server <host>',
    'the mail server; asked for when not given. Several hosts of one site, HOST[:PORT],HOST[:PORT], are tried in turn until one answers',
  )
  .addOption(
    new Option('--protocol <kind>', 'the protocol to speak')
      .choices(CHANNEL_KINDS)
      .default('classic'),
  )
  .option(
    '--enhanced',
    'the same as --protocol enhanced: the server proves its identity, records are authenticated (AES-256-GCM); prints what it verified',
  )
  .addOption(
    new Option('--timeout <secs>', 'how long to wait for any one answer of the server')
      .default(60)
      .argParser(integerArgument(1)),
  );

const values = parseCommandLine(command, process.argv.slice(2)).opts<{
  keys?: string;
  port?: number;
  server?: string;
  protocol: ChannelKind;
  enhanced?: boolean;
  timeout: number;
}>();
const kind: ChannelKind = values.enhanced ? 'enhanced' : values.protocol;
const input = new LineInput(process.stdin, process.stdout);
const code = await runTerminalClient({
  input,
  write: (text) => process.stdout.write(text),
  keysDir: values.keys ?? process.cwd(),
  port: values.port ?? channels[kind].defaultPort,
  server: values.server,
  channel: kind,
  replyTimeoutMs: values.timeout * 1000,
});
input.close();
process.exitCode = code;
