import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { runNode } from '../helpers/processes.js';
import { MENU } from '../../protocol/operations/menu.js';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  keys = await makeKeySetup();
  server = await startMailServer(serverHome(keys.dir));
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

/** Runs the terminal client as the seed's sample runs it: in the user's key folder, stdin piped. */
function client(user: string, lines: string[]): Promise<{ code: number | null; stdout: string }> {
  return runNode('gateway/terminal/main.js', ['--port', String(server.port)], {
    cwd: join(keys.dir, user),
    input: `${lines.join('\n')}\n`,
  });
}

const LOGIN = 'Enter the server IP or name: Enter your username: Enter your password: ';

describe('terminal client, driven through the sample sessions of section IV', () => {
  it('1: an unknown client is refused', async () => {
    const { code, stdout } = await client('client1', ['127.0.0.1', 'client10', 'pass10']);
    expect(stdout).toBe(`${LOGIN}Invalid username or password.\nTerminating.\n`);
    expect(code).toBe(1);
  });

  it('3 and 2: client2 loads a message from a file, client1 types one', async () => {
    writeFileSync(join(keys.dir, 'client2', 'test.txt'), 'é'.repeat(221_069) + '\n');
    const two = await client('client2', [
      '127.0.0.1',
      'client2',
      'password2',
      '1',
      'client1;client5',
      'Test2',
      'Y',
      'test.txt',
      '4',
    ]);
    expect(two.stdout).toBe(
      LOGIN +
        MENU +
        'Enter destinations (separated by ;): Enter title: Would you like to load contents from a file?(Y/N) ' +
        'Enter filename: The message is sent to the server.\n' +
        MENU +
        'The connection is terminated with the server.\n',
    );
    const one = await client('client1', [
      '127.0.0.1',
      'client1',
      'password1',
      '1',
      'client2;client4;client5',
      'Test',
      'N',
      'Welcome to CMPT 361 class.',
      '4',
    ]);
    expect(one.stdout).toBe(
      LOGIN +
        MENU +
        'Enter destinations (separated by ;): Enter title: Would you like to load contents from a file?(Y/N) ' +
        'Enter message contents: The message is sent to the server.\n' +
        MENU +
        'The connection is terminated with the server.\n',
    );
    expect(one.code).toBe(0);

    await server.process.waitForLine(
      (line) =>
        line ===
        'An email from client2 is sent to client1;client5 has a content length of 221070 .',
    );
    expect(server.lines()).toEqual(
      expect.arrayContaining([
        'The server is ready to accept connections',
        'The received client information: client10 is invalid (Connection Terminated).',
        'Connection Accepted and Symmetric Key Generated for client: client1',
        'An email from client1 is sent to client2;client4;client5 has a content length of 26 .',
        'Terminating connection with client1.',
        'Connection Accepted and Symmetric Key Generated for client: client2',
        'Terminating connection with client2.',
      ]),
    );
  });

  it('5: client5 lists the inbox and views an email', async () => {
    const { stdout } = await client('client5', [
      '127.0.0.1',
      'client5',
      'password5',
      '2',
      '3',
      '2',
    ]);
    const parts = stdout.split(MENU);
    expect(parts[0]).toBe(LOGIN);
    const table = parts[1]?.split('\n') ?? [];
    expect(table[0]).toMatch(/^Index\s+From\s+DateTime\s+Title$/);
    expect(table[1]).toMatch(/^1\s+client2\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\s+Test2$/);
    expect(table[2]).toMatch(/^2\s+client1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\s+Test$/);
    expect(table.slice(3)).toEqual(['', '']);
    expect(parts[2]).toMatch(
      /^Enter the email index you wish to view: \nFrom: client1\nTo: client2;client4;client5\nTime and Date Received: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\nTitle: Test\nContent Length: 26\nContents:\nWelcome to CMPT 361 class\.\n\n$/,
    );
    // Input ended at the menu: the client ends the session properly.
    expect(parts[3]).toBe('\nThe connection is terminated with the server.\n');
  });

  it('asks again for a title over 100 characters and sends nothing until it is valid', async () => {
    const { stdout } = await client('client3', [
      '127.0.0.1',
      'client3',
      'password3',
      '1',
      'client4',
      'x'.repeat(101),
      'Short',
      'N',
      'body',
      '4',
    ]);
    expect(stdout).toContain(
      'Enter title: The title has 101 characters; the limit is 100. Enter a shorter title.\nEnter title: ',
    );
    expect(stdout).toContain('The message is sent to the server.\n');
  });

  it('refuses a content file over 1,000,000 characters and a missing file, then asks again', async () => {
    writeFileSync(join(keys.dir, 'client3', 'huge.txt'), '😀'.repeat(1_000_001));
    const { stdout } = await client('client3', [
      '127.0.0.1',
      'client3',
      'password3',
      '1',
      'client4',
      'Huge',
      'Y',
      'huge.txt',
      'Y',
      'missing.txt',
      'N',
      'small',
      '4',
    ]);
    expect(stdout).toContain(
      'The content has 1000001 characters; the limit is 1000000. Nothing was sent.\n',
    );
    expect(stdout).toMatch(/Cannot load missing\.txt: ENOENT/);
    expect(stdout).toContain('The message is sent to the server.\n');
  });

  it('offers the protocols of the registry and no other', async () => {
    const { stderr, code } = await runNode('gateway/terminal/main.js', ['--protocol', 'smtp'], {
      cwd: join(keys.dir, 'client1'),
      input: '',
    });
    expect(stderr).toContain('Allowed choices are classic, enhanced.');
    expect(code).toBe(2);
  });

  it('says clearly when the server cannot be reached', async () => {
    const { stdout, code } = await runNode('gateway/terminal/main.js', ['--port', '1'], {
      cwd: join(keys.dir, 'client1'),
      input: '127.0.0.1\nclient1\npassword1\n',
    });
    expect(stdout).toContain('cannot reach the mail server at 127.0.0.1:1 (connection refused)');
    expect(code).toBe(1);
  });
});
