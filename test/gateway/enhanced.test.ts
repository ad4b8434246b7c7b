import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import {
  Browser,
  gatewayCookie,
  makeWebRoot,
  pageSecret,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import WebSocket from 'ws';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import type { Reply } from '../../gateway/messages.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { signIn } from '../helpers/client.js';

let keys: { dir: string; cleanup: () => void };
let webRoot: { dir: string; cleanup: () => void };
let classic: RunningServer;
let enhanced: RunningServer;

beforeAll(async () => {
  keys = await makeKeySetup();
  webRoot = makeWebRoot();
  classic = await startMailServer(serverHome(keys.dir));
  enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
});
afterAll(async () => {
  await Promise.all([classic.stop(), enhanced.stop()]);
  webRoot.cleanup();
  keys.cleanup();
});

/** The built gateway with both default servers: the classic one and `enhancedServer`. */
function startGateway(enhancedServer: string): Promise<RunningGateway> {
  return startGatewayProcess([
    '--keys',
    keys.dir,
    '--web-root',
    webRoot.dir,
    '--server',
    `127.0.0.1:${classic.port}`,
    '--enhanced-server',
    enhancedServer,
  ]);
}

describe('gateway with the enhanced protocol', () => {
  it('offers enhanced by default when the enhanced server answers, and signs in with its identity verified', async () => {
    const gateway = await startGateway(`127.0.0.1:${enhanced.port}`);
    try {
      const cookie = await gatewayCookie(gateway.base, gateway.token);
      const browser = await Browser.open(gateway.base, cookie);
      const signedIn = await browser.request({
        type: 'signIn',
        server: '',
        username: 'client1',
        password: 'password1',
        protocol: 'enhanced',
      });
      expect(signedIn.type).toBe('signedIn');
      if (signedIn.type !== 'signedIn') return;
      expect(signedIn.protocol).toBe('enhanced');
      expect(signedIn.server).toBe(`127.0.0.1:${enhanced.port}`);
      expect(signedIn.serverFingerprint).toBe(
        keyFingerprint(
          createPublicKey(readFileSync(join(serverHome(keys.dir), 'server_public.pem'))),
        ),
      );
      const sent = await browser.request({
        type: 'send',
        to: ['client2'],
        title: 'over the enhanced channel',
        content: 'sealed',
      });
      expect(sent.type).toBe('sent');
      await browser.request({ type: 'signOut' });
      await browser.close();
      await enhanced.process.waitForLine((line) => line.includes('client1'), 5000, 'stdout');
    } finally {
      await gateway.stop();
    }
  });

  it('tells the browser of the email delivered, not of one deleted elsewhere at the same time (session version 4 lists by changes)', async () => {
    const gateway = await startGateway(`127.0.0.1:${enhanced.port}`);
    const clients: MailClient[] = [];
    try {
      const signInElsewhere = async (user: string): Promise<MailClient> => {
        const client = await signIn(
          enhanced.port,
          keys.dir,
          user,
          `password${user.slice(-1)}`,
          'enhanced',
        );
        clients.push(client);
        return client;
      };
      const sender = await signInElsewhere('client3');
      for (const title of ['first', 'second'])
        await sender.send({ to: ['client4'], title, content: title });
      const browser = await Browser.open(
        gateway.base,
        await gatewayCookie(gateway.base, gateway.token),
      );
      const signedIn = await browser.request({
        type: 'signIn',
        server: '',
        username: 'client4',
        password: 'password4',
        protocol: 'enhanced',
      });
      expect(signedIn.type).toBe('signedIn');
      const listed = (await browser.request({ type: 'listInbox' })) as Extract<
        Reply,
        { type: 'inbox' }
      >;
      expect(listed.items.map((item) => item.title)).toEqual(['first', 'second']);
      // Elsewhere, the owner deletes the first email and another one arrives: the count stays.
      const owner = await signInElsewhere('client4');
      const { rows } = await owner.listInbox();
      await owner.delete(rows[0]?.id ?? '');
      await sender.send({ to: ['client4'], title: 'third', content: 'third' });
      const event = await browser.event('newMail', 10_000);
      expect(event.items.map((item) => item.title)).toEqual(['third']);
      expect(event.total).toBe(2);
      await browser.close();
    } finally {
      for (const client of clients) await client.terminate();
      await gateway.stop();
    }
  });

  it('says which protocol to offer first: enhanced when reachable, classic when not', async () => {
    for (const [enhancedServer, expected] of [
      [`127.0.0.1:${enhanced.port}`, 'enhanced'],
      ['127.0.0.1:1', 'classic'],
    ] as const) {
      const gateway = await startGateway(enhancedServer);
      try {
        const hello = await helloOf(gateway.base, await gatewayCookie(gateway.base, gateway.token));
        expect(hello.type === 'hello' && hello.defaultProtocol).toBe(expected);
        expect(hello.type === 'hello' && hello.enhancedServer).toBe(enhancedServer);
      } finally {
        await gateway.stop();
      }
    }
  });
});

/** The hello a fresh socket receives once it has presented its page secret. */
async function helloOf(base: string, cookie: string): Promise<Reply> {
  const secret = await pageSecret(base, cookie);
  const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, {
    headers: { cookie, origin: base },
  });
  socket.once('open', () => {
    socket.send(JSON.stringify({ type: 'authenticate', secret }));
  });
  const hello = await new Promise<Reply>((resolve, reject) => {
    socket.once('message', (data: Buffer) => {
      resolve(JSON.parse(data.toString('utf8')) as Reply);
    });
    socket.once('error', reject);
  });
  socket.close();
  return hello;
}
