/**
 * The terminal client against the real enhanced server (dist/): the server's operator writes a
 * plain "Payroll" email in client2's name into client1's inbox after client2 sealed mail to
 * client1. Reading them, the terminal client prints where client2's key came from for the
 * sealed one, and a warning before the plain one. And a plain email in the name of someone
 * whose key the reader holds and has used (sealed to), who never sealed to them: warned too,
 * in the key holder's words.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder } from '../../gateway/protocol-client/keys.js';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import { SealedMail } from '../../gateway/protocol-client/sealed-mail.js';
import { formatReceivedTime, formatStoredEmail, nowMicros } from '../../protocol/email.js';
import { sealedClientLines } from '../../protocol/sealed/lines.js';
import { codePointLength } from '../../protocol/text.js';
import { signIn } from '../helpers/client.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { runNode } from '../helpers/processes.js';
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

describe('the terminal client on a plain email in the name of a correspondent who seals', () => {
  it('prints the sealed email key provenance, and warns before the planted plain one', async () => {
    const client = await signIn(server.port, keys.dir, 'client2', undefined, 'enhanced');
    const keyring = new Keyring(keyringFolder(join(keys.dir, 'client2'), 'client2'));
    const sealed = new SealedMail(client, setupKeys(keys.dir, 'client2').privateKey(), keyring);
    await sealed.send({ to: ['client1'], title: 'Team meeting', content: 'Thursday at ten.' });
    await client.terminate();

    const content = '🔒 Sealed. Signed by client2, verified.\nPay my salary to account 0000-6666.';
    writeFileSync(
      join(inboxOf(keys.dir, 'client1'), 'client2_Payroll.txt'),
      formatStoredEmail(
        { from: 'client2', to: ['client1'], title: 'Payroll: new bank details', content },
        formatReceivedTime(nowMicros() + 1000),
        codePointLength(content),
      ),
    );

    const { stdout } = await runNode(
      'gateway/terminal/main.js',
      ['--enhanced', '--port', String(server.port)],
      {
        cwd: join(keys.dir, 'client1'),
        input: ['127.0.0.1', 'client1', 'password1', '2', '3', '1', '3', '2', '4', ''].join('\n'),
      },
    );
    expect(stdout).toContain('signed by client2');
    expect(stdout).toContain('Key of client2: from your keyring (not compared by you).');
    const warning = stdout.indexOf(
      "WARNING: not sealed, though client2 has sent you sealed mail before: anyone who controls the server could have written it in client2's name.",
    );
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(stdout.indexOf('Title: Payroll: new bank details'));
  });
});

describe('the terminal client on a plain email in the name of someone whose key the reader holds', () => {
  it('warns that the reader holds the sender\u2019s key, before the email, though they never sealed to the reader', async () => {
    // client3 seals to client1, as the terminal client does (its keyring's pins sealed with
    // its own key): client1's key is now held and used by client3. client1 never seals to client3.
    const client = await signIn(server.port, keys.dir, 'client3', undefined, 'enhanced');
    const own = setupKeys(keys.dir, 'client3').privateKey();
    const keyring = new Keyring(
      keyringFolder(join(keys.dir, 'client3'), 'client3'),
      new LocalSeal(own, 'client3'),
    );
    await new SealedMail(client, own, keyring).send({
      to: ['client1'],
      title: 'Budget',
      content: 'Sealed to client1.',
    });
    await client.terminate();
    expect(keyring.holders().has('client1')).toBe(true);

    const content = 'Please send me your password, the server needs it again.';
    writeFileSync(
      join(inboxOf(keys.dir, 'client3'), 'client1_Password.txt'),
      formatStoredEmail(
        { from: 'client1', to: ['client3'], title: 'Password check', content },
        formatReceivedTime(nowMicros()),
        codePointLength(content),
      ),
    );

    const { stdout } = await runNode(
      'gateway/terminal/main.js',
      ['--enhanced', '--port', String(server.port)],
      {
        cwd: join(keys.dir, 'client3'),
        input: ['127.0.0.1', 'client3', 'password3', '2', '3', '1', '4', ''].join('\n'),
      },
    );
    const warning = stdout.indexOf(
      "WARNING: not sealed, though you hold the key of client1: anyone who controls the server could have written it in client1's name. Check with client1 another way before acting on it.",
    );
    expect(warning, stdout).toBeGreaterThan(0);
    expect(warning).toBeLessThan(stdout.indexOf('Title: Password check'));
    expect(stdout).toContain(content);
    // Not the other warning: client1 never sealed mail to client3.
    expect(stdout).not.toContain(sealedClientLines.plainFromSealer('client1'));
  });
});
