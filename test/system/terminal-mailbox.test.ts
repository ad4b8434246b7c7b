/**
 * The terminal client with --enhanced on session version 2, as a person uses it: the delivery
 * report after a send, waiting for new mail until it comes, deleting by the listed index.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2', 'client3']);
  server = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

const terminalArgs = (): string[] => [
  '--enhanced',
  '--port',
  String(server.port),
  '--server',
  '127.0.0.1',
];

describe('terminal client, session version 2', () => {
  it('prints the delivery report of each recipient after a send', async () => {
    const { stdout, code } = await runNode('gateway/terminal/main.js', terminalArgs(), {
      cwd: join(keys.dir, 'client1'),
      input: ['client1', 'password1', '1', 'client2;ghost', 'Hello', 'N', 'hi', '4', ''].join('\n'),
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Session version 7\n');
    expect(stdout).toContain(
      'The message is sent to the server.\n  client2: delivered\n  ghost: no such user\n',
    );
  });

  it('waits for new mail until it comes, then deletes an email by its listed index', async () => {
    const terminal = new Spawned(
      'node',
      [distPath('gateway/terminal/main.js'), ...terminalArgs()],
      {
        cwd: join(keys.dir, 'client3'),
      },
    );
    try {
      terminal.child.stdin?.write('client3\npassword3\n6\n');
      await terminal.waitForLine((line) =>
        line.includes('Waiting for new mail; press Enter to stop.'),
      );
      const sender = await signIn(server.port, keys.dir, 'client1', 'password1', 'enhanced');
      await sender.send({ to: ['client3'], title: 'while you waited', content: 'pushed' });
      await sender.terminate();
      await terminal.waitForLine((line) => line.includes('New mail has arrived.'));
      terminal.child.stdin?.write('2\n5\n1\n2\n4\n');
      terminal.child.stdin?.end();
      const { code } = await terminal.exited;
      expect(code).toBe(0);
      const listings = terminal.stdout.split('Index');
      expect(listings[1]).toContain('while you waited');
      expect(terminal.stdout).toContain(
        'Enter the email index you wish to delete: Email 1 is deleted.\n',
      );
      expect(listings[2]).toBeUndefined();
      expect(terminal.stdout).toContain('Your inbox is empty.');
    } finally {
      await terminal.stop();
    }
  });

  it('shows what changed since the last listing with 9: everything at first, then only new mail', async () => {
    const terminal = new Spawned(
      'node',
      [distPath('gateway/terminal/main.js'), ...terminalArgs()],
      { cwd: join(keys.dir, 'client2') },
    );
    try {
      const sender = await signIn(server.port, keys.dir, 'client3', 'password3', 'enhanced');
      await sender.send({ to: ['client2'], title: 'before the listing', content: 'a' });
      terminal.child.stdin?.write('client2\npassword2\n9\n');
      await terminal.waitForLine((line) => line.includes("The session's first listing: "));
      await sender.send({ to: ['client2'], title: 'after the listing', content: 'b' });
      await sender.terminate();
      terminal.child.stdin?.write('9\n4\n');
      terminal.child.stdin?.end();
      expect((await terminal.exited).code).toBe(0);
      const [, afterFirst = ''] = terminal.stdout.split("The session's first listing: ");
      const [first, second] = afterFirst.split('Since the last listing: ');
      expect(first).toMatch(/^\d+ in the inbox\.\nIndex +From +DateTime +Title\n/);
      expect(first).toContain('before the listing');
      expect(first).not.toContain('after the listing');
      expect(second).toMatch(
        /^1 new, 0 gone; \d+ in the inbox\.\nIndex +From +DateTime +Title\n\d+ +client3 /,
      );
      expect(second).toContain('after the listing');
      expect(second).not.toContain('before the listing');
    } finally {
      await terminal.stop();
    }
  });

  it('stops waiting when the person presses Enter', async () => {
    const { stdout, code } = await runNode('gateway/terminal/main.js', terminalArgs(), {
      cwd: join(keys.dir, 'client2'),
      input: ['client2', 'password2', '6', '', '4', ''].join('\n'),
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Waiting for new mail; press Enter to stop.\nStopped waiting.\n');
  });
});
