/**
 * The terminal client with --enhanced on session version 3, against the real enhanced server:
 * it sends sealed by default and says for whom, reads a sealed email saying who signed it and
 * whether the signature holds, warns on one the server's disk altered, and sends nothing when a
 * recipient's key changed in the keyring.
 */
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { ARMOUR_BEGIN } from '../../protocol/sealed/suite.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
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

const fingerprintOf = (user: string): string =>
  keyFingerprint(createPublicKey(readFileSync(join(serverHome(keys.dir), `${user}_public.pem`))));

/** The terminal client as `user`, in their key folder, answering its prompts with `lines`. */
async function terminal(user: string, lines: string[]): Promise<string> {
  const { stdout, code } = await runNode(
    'gateway/terminal/main.js',
    ['--enhanced', '--port', String(server.port), '--server', '127.0.0.1'],
    {
      cwd: join(keys.dir, user),
      input: `${[user, `password${user.slice(-1)}`, ...lines].join('\n')}\n`,
    },
  );
  expect(code).toBe(0);
  return stdout;
}

const send = (to: string, title: string, content: string): string[] => [
  '1',
  to,
  title,
  'N',
  content,
];

/** The stored file of a user's email titled `title`. */
function storedFile(user: string, title: string): string {
  const name = readdirSync(inboxOf(keys.dir, user)).find((file) => file.includes(title));
  if (name === undefined) throw new Error(`no ${title} in ${user}'s inbox`);
  return join(inboxOf(keys.dir, user), name);
}

describe('terminal client, session version 3', () => {
  it('seals by default and says for whom; the recipient reads it verified, with who signed it', async () => {
    const sent = await terminal('client1', [
      ...send('client2', 'Plans', 'Meet at the old mill.'),
      '4',
    ]);
    expect(sent).toContain(
      `Your key: ${fingerprintOf('client1')}. Sealed emails are signed with it and opened with it; others can compare it.\n`,
    );
    // Before it goes, for whom it will be sealed and with which key; after, what was done.
    expect(sent).toContain('Sealing it for client2 (key in your keyring), you.\n');
    expect(sent.indexOf('Sealing it for')).toBeLessThan(sent.indexOf('Sealed and signed'));
    expect(sent).toContain(
      `Sealed and signed: only client2 (${fingerprintOf('client2')}), client1 (${fingerprintOf('client1')}) can read it; the server stores it without being able to. The title is not sealed.\n`,
    );
    expect(readFileSync(storedFile('client2', 'Plans'), 'utf8')).not.toContain('old mill');

    const read = await terminal('client2', ['3', '1', '4']);
    expect(read).toContain(
      `Sealed email: signed by client1 (${fingerprintOf('client1')}), signature verified; decrypted with your key.\n`,
    );
    expect(read).toContain('Title: Plans\n');
    expect(read).toContain('Contents:\nMeet at the old mill.');
  });

  it('warns on an email altered on the server\u2019s disk and prints none of its content', async () => {
    await terminal('client1', [...send('client3', 'Invoice', 'Pay to account DE44 1234.'), '4']);
    const file = storedFile('client3', 'Invoice');
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(`${ARMOUR_BEGIN}\n`) + ARMOUR_BEGIN.length + 120;
    writeFileSync(file, `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`);
    const read = await terminal('client3', ['3', '1', '4']);
    // Which warning depends on what the changed character falls in (a length, the ciphertext,
    // the signature), and the sealed bytes around it differ each run: either way it warns and
    // shows nothing.
    expect(read).toMatch(
      /WARNING: this sealed email does not verify\. (The signature of client1 does not hold: this email was altered or forged after it was sealed|This sealed email cannot be read \(sealed email: [^\n]*\): it was damaged or altered)\. Its content is not shown\.\n/,
    );
    expect(read).not.toContain('DE44');
    expect(read).not.toContain('Contents:');
  });

  it('sends nothing when a recipient\u2019s key changed in the keyring, and says why', async () => {
    const keyring = join(keys.dir, 'client2', 'keyring');
    const before = readdirSync(inboxOf(keys.dir, 'client3')).length;
    // Pinned on this first send; then another key takes its place in the keyring.
    await terminal('client2', [...send('client3', 'First', 'pins the key'), '4']);
    writeFileSync(
      join(keyring, 'client3_public.pem'),
      readFileSync(join(keyring, 'client1_public.pem')),
    );
    const refused = await terminal('client2', [...send('client3', 'Second', 'must not go'), '4']);
    expect(refused).toContain(
      `WARNING: The key of client3 has changed: ${fingerprintOf('client3')} is pinned for client3, but your keyring now holds ${fingerprintOf('client1')}.`,
    );
    expect(refused).toContain('Nothing was sent.\n');
    expect(readdirSync(inboxOf(keys.dir, 'client3'))).toHaveLength(before + 1);
  });
});
