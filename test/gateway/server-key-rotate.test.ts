/**
 * A server key rotation seen from the web gateway: the session child that signs in with the
 * old server key adopts the new one (server_public.pem of the gateway's key folder) and the
 * browser is told once, in the `signedIn` reply; the next sign-in verifies the new key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../protocol/crypto.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import {
  Browser,
  gatewayCookie,
  makeWebRoot,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

let keys: { dir: string; cleanup: () => void };
let webRoot: { dir: string; cleanup: () => void };
let enhanced: RunningServer | undefined;
let gateway: RunningGateway | undefined;

beforeEach(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
  webRoot = makeWebRoot();
});
afterEach(async () => {
  await gateway?.stop();
  await enhanced?.stop();
  webRoot.cleanup();
  keys.cleanup();
});

const fingerprintOf = (file: string): string =>
  keyFingerprint(parsePublicKey(readFileSync(file), file));

async function signedIn(base: string, token: string) {
  const browser = await Browser.open(base, await gatewayCookie(base, token));
  const reply = await browser.request({
    type: 'signIn',
    server: '',
    username: 'client1',
    password: 'password1',
    protocol: 'enhanced',
  });
  await browser.request({ type: 'signOut' });
  await browser.close();
  if (reply.type !== 'signedIn') throw new Error(`not signed in: ${JSON.stringify(reply)}`);
  return reply;
}

describe('the web gateway during a server key rotation', () => {
  it('adopts the new key at the first sign-in, tells the browser once, and verifies the new key next time', async () => {
    const home = serverHome(keys.dir);
    enhanced = await startMailServer(home, [], 'mail-server/main-enhanced.js');
    const held = join(keys.dir, 'client1', 'server_public.pem');
    const oldFingerprint = fingerprintOf(held);
    const rotated = await runNode('scripts/admin.js', ['--home', home, 'server-key', 'rotate']);
    expect(rotated.code).toBe(0);
    const newFingerprint = fingerprintOf(join(home, 'server_public.pem'));
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--web-root',
      webRoot.dir,
      '--enhanced-server',
      `127.0.0.1:${enhanced.port}`,
    ]);

    const first = await signedIn(gateway.base, gateway.token);
    expect(first.serverFingerprint).toBe(oldFingerprint);
    expect(first.serverKeyReplaced).toContain(`now holds the new key (${newFingerprint})`);
    expect(fingerprintOf(held)).toBe(newFingerprint);

    const second = await signedIn(gateway.base, gateway.token);
    expect(second.serverFingerprint).toBe(newFingerprint);
    expect(second.serverKeyReplaced).toBeUndefined();
  });
});
