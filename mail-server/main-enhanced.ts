#!/usr/bin/env node
/** `npm run server:enhanced -- --home DIR [...]`: the same mail server over the enhanced channel. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePublicKey } from '../protocol/crypto.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { enhancedServerLines } from '../protocol/enhanced/lines.js';
import { runServerCli, serverUsage } from './cli.js';
import { announce } from './log.js';

/** Its own port: no negotiation with the classic protocol, which would invite a downgrade. */
export const ENHANCED_DEFAULT_PORT = 13001;

const argv = process.argv.slice(2);
await runServerCli(
  argv,
  'enhanced',
  ENHANCED_DEFAULT_PORT,
  serverUsage('npm run server:enhanced', ENHANCED_DEFAULT_PORT),
);

// runServerCli has checked the home; show the identity clients will verify.
const homeAt = argv.indexOf('--home');
const home =
  homeAt >= 0
    ? argv[homeAt + 1]
    : argv.find((arg) => arg.startsWith('--home='))?.slice('--home='.length);
const publicFile = home === undefined ? undefined : join(home, 'server_public.pem');
if (publicFile !== undefined && existsSync(publicFile)) {
  announce(
    enhancedServerLines.identity(
      keyFingerprint(parsePublicKey(readFileSync(publicFile), publicFile)),
    ),
  );
}
