import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { Spawned, distPath, runNode } from '../helpers/processes.js';
import { postgresUnavailable } from '../helpers/postgres.js';
import { Browser, gatewayCookie } from '../helpers/gateway.js';
import {
  describeLab,
  labDown,
  labUnavailableReason,
  labUp,
  onHost,
  type Lab,
} from '../../scripts/lab/network.js';
import type { Reply } from '../../gateway/messages.js';

const unavailable = labUnavailableReason();
const lab: Lab = describeLab(`sml${process.pid % 100000}`, 2);
let keys: { dir: string; cleanup: () => void };
const processes: Spawned[] = [];

function runOn(
  host: Lab['server'],
  script: string,
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Spawned {
  const [command, commandArgs] = onHost(host, process.execPath, [distPath(script), ...args]);
  const spawned = new Spawned(command, commandArgs, options);
  processes.push(spawned);
  return spawned;
}

describe.skipIf(unavailable !== undefined)(
  `several hosts (network namespaces)${unavailable ? `: skipped, ${unavailable}` : ''}`,
  () => {
    beforeAll(async () => {
      keys = await makeKeySetup();
      labUp(lab);
    });
    afterAll(async () => {
      for (const spawned of processes.reverse()) await spawned.stop();
      labDown(lab);
      keys.cleanup();
    });

    it('a terminal client on one host and the web gateway on another use the server host', async () => {
      const [client1Host, client2Host] = lab.clients;
      if (!client1Host || !client2Host) throw new Error('the lab has two client hosts');
      const server = runOn(lab.server, 'mail-server/main.js', [
        '--home',
        serverHome(keys.dir),
        '--host',
        lab.server.address,
        '--port',
        '13000',
      ]);
      await server.waitForLine(
        (line) => line === 'The server is ready to accept connections',
        20_000,
        'stdout',
      );

      // Client host 1: the terminal client sends an email across the lab network.
      const terminal = runOn(
        client1Host,
        'gateway/terminal/main.js',
        ['--server', lab.server.address],
        {
          cwd: join(keys.dir, 'client1'),
          input: 'client1\npassword1\n1\nclient2\nAcross hosts\nN\nSent from another host.\n4\n',
        },
      );
      expect((await terminal.exited).code).toBe(0);
      expect(terminal.stdout).toContain('The message is sent to the server.');
      const session = await server.waitForRecord('session started', {}, { timeoutMs: 10_000 });
      expect(session.peer).toMatch(new RegExp(`^${client1Host.address.replace(/\./g, '\\.')}:`));

      // Client host 2: the web gateway, reached by a browser over the lab network.
      const gateway = runOn(client2Host, 'gateway/main.js', [
        '--keys',
        keys.dir,
        '--listen',
        `${client2Host.address}:8080`,
        '--server',
        `${lab.server.address}:13000`,
        '--allow-host',
        client2Host.address,
      ]);
      const line = await gateway.waitForLine((text) => text.includes('/?token='), 20_000, 'stdout');
      const url = new URL(/http:\/\/\S+/.exec(line)?.[0] ?? '');
      const cookie = await gatewayCookie(url.origin, url.searchParams.get('token') ?? '');
      const browser = await Browser.open(url.origin, cookie);
      expect((await browser.signIn('client2')).type).toBe('signedIn');
      const inbox = (await browser.request({ type: 'listInbox' })) as Extract<
        Reply,
        { type: 'inbox' }
      >;
      const item = inbox.items.find((candidate) => candidate.title === 'Across hosts');
      expect(item?.from).toBe('client1');
      const email = (await browser.request({ type: 'read', index: item?.index ?? 0 })) as Extract<
        Reply,
        { type: 'email' }
      >;
      expect(email.email.content).toBe('Sent from another host.');
      expect((await browser.request({ type: 'signOut' })).type).toBe('signedOut');
      await browser.close();
      await server.waitForRecord(
        'session started',
        { peer: (peer: unknown) => String(peer).startsWith(`${client2Host.address}:`) },
        { timeoutMs: 10_000 },
      );
    });
  },
);

const multiHostUnavailable = unavailable ?? postgresUnavailable;

describe.skipIf(multiHostUnavailable !== undefined)(
  `the multi-host lab${multiHostUnavailable ? `: skipped, ${multiHostUnavailable}` : ''}`,
  () => {
    it('runs its scripted check: a database host, two mail-server hosts, clients, one host killed', async () => {
      const result = await runNode('scripts/lab/main.js', [
        'multi-host',
        'check',
        '--id',
        `mh${process.pid % 10000}`,
      ]);
      expect(result.stdout).toContain('multi-host check passed');
      expect(result.stdout).not.toContain('FAIL');
      expect(result.code).toBe(0);
    });
  },
);
