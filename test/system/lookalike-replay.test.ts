/**
 * Look-alike users and replayed copies, against the real key generator, the real enhanced
 * server (dist/) and the real terminal client. The server's operator, who can write any file of
 * the home and the store, adds a user `cIient1` (capital i) with a key of its own and plants an
 * email sealed in that name in client2's inbox; then plants a second copy of a genuine sealed
 * email. The terminal client flags the first and marks the second; the key generator refuses
 * to create `cIient1` beside `client1`.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReceivedTime, formatStoredEmail, nowMicros } from '../../protocol/email.js';
import { armour } from '../../protocol/sealed/armour.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { runNode } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const LOOKALIKE = 'cIient1';

let keys: { dir: string; cleanup: () => void };
let server: RunningServer;
let lookalike: { privateKey: KeyObject; publicKey: KeyObject };

beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2', 'client3']);
  // The operator adds a user of its own, cIient1, with a key pair it made.
  const home = serverHome(keys.dir);
  lookalike = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(
    join(home, `${LOOKALIKE}_public.pem`),
    lookalike.publicKey.export({ type: 'spki', format: 'pem' }),
  );
  const passwords = join(home, 'user_pass.json');
  const records = JSON.parse(readFileSync(passwords, 'utf8')) as Record<string, string>;
  writeFileSync(passwords, JSON.stringify({ ...records, [LOOKALIKE]: 'operator' }));
  chmodSync(passwords, 0o600);
  server = await startMailServer(home, [], 'mail-server/main-enhanced.js');
});
afterAll(async () => {
  await server.stop();
  keys.cleanup();
});

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

/** The operator writes an email straight into a user's inbox folder, as the store would have. */
function plant(user: string, name: string, text: string): void {
  writeFileSync(join(inboxOf(keys.dir, user), name), text);
}

const publicKeyOf = (user: string): KeyObject =>
  createPublicKey(readFileSync(join(serverHome(keys.dir), `${user}_public.pem`)));

function storedFile(user: string, title: string): string {
  const name = readdirSync(inboxOf(keys.dir, user)).find((file) => file.includes(title));
  if (name === undefined) throw new Error(`no ${title} in ${user}'s inbox`);
  return name;
}

describe('a look-alike user', () => {
  it('the server warns at start that user_pass.json holds two names that look alike', () => {
    const warnings = server.process.stderrLines.filter((line) => line.includes('look alike'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`users \\"client1\\" and \\"${LOOKALIKE}\\"`);
  });

  it('an email sealed by cIient1 to client2 verifies, and the terminal flags its sender as looking like client1', async () => {
    const sealed = sealEmail({
      sender: LOOKALIKE,
      senderPrivateKey: lookalike.privateKey,
      title: 'Payroll',
      content: 'New bank details: pay account 0000-6666.',
      recipients: ['client2'],
      readers: [{ name: 'client2', publicKey: publicKeyOf('client2') }],
    });
    const content = armour(sealed);
    plant(
      'client2',
      `${LOOKALIKE}_Payroll.txt`,
      formatStoredEmail(
        { from: LOOKALIKE, to: ['client2'], title: 'Payroll', content },
        formatReceivedTime(nowMicros()),
      ),
    );
    const out = await terminal('client2', ['2', '3', '1', '4']);
    // The listing flags the row, the reading flags the signer.
    expect(out).toContain(
      `Warning: ${LOOKALIKE} (email 1) looks like client1 but is a different user (character 2 is capital I, where client1 has small l).\n`,
    );
    expect(out).toMatch(
      new RegExp(
        `Sealed email: signed by ${LOOKALIKE} \\(SHA256:[^)]+\\), signature verified; decrypted with your key\\.\\nKey of ${LOOKALIKE}: [^\\n]*\\nWarning: ${LOOKALIKE} looks like client1 but is a different user \\(character 2 is capital I, where client1 has small l\\)\\.\\n`,
      ),
    );
  });
});

describe('a replayed copy of a sealed email', () => {
  it('the first copy opens as itself, again and again; the copy the operator put back is marked', async () => {
    await terminal('client1', ['1', 'client3', 'Lunch', 'N', 'Noon at the usual place.', '4']);
    const first = await terminal('client3', ['2', '3', '1', '3', '1', '4']);
    expect(first).toContain('signature verified');
    expect(first).not.toContain('a copy of an email already received');

    // The operator stores the same file again, received a minute later.
    const name = storedFile('client3', 'Lunch');
    const text = readFileSync(join(inboxOf(keys.dir, 'client3'), name), 'utf8');
    const later = formatReceivedTime(nowMicros() + 60_000_000);
    plant(
      'client3',
      `copy-${name}`,
      text.replace(/^Time and Date: .*$/m, `Time and Date: ${later}`),
    );

    const read = await terminal('client3', ['2', '3', '2', '3', '1', '4']);
    const [copy = '', original = ''] = read.split('Sealed email: signed by client1').slice(1);
    expect(copy).toContain(
      'Warning: this is a copy of an email already received: the same sealed email (its signed id) was received ',
    );
    expect(copy).toContain('The server stored it again; it is not new mail.');
    expect(original).not.toContain('a copy of an email already received');
    // What is remembered names nobody and nothing read.
    const memory = readFileSync(join(keys.dir, 'client3', 'keyring', 'opened_emails'), 'utf8');
    expect(memory).toMatch(/^(~[A-Za-z0-9+/=]+\n)+$/);
    expect(memory).not.toContain('client1');
  });

  it('an email sealed before ids (format version 1) opens, and says it carries no id', async () => {
    const client1 = setupKeys(keys.dir, 'client1');
    const sealed = sealEmail({
      sender: 'client1',
      senderPrivateKey: client1.privateKey(),
      title: 'Before ids',
      content: 'Sealed the old way.',
      recipients: ['client2'],
      readers: [{ name: 'client2', publicKey: publicKeyOf('client2') }],
      emailId: null,
    });
    plant(
      'client2',
      'client1_Before ids.txt',
      formatStoredEmail(
        { from: 'client1', to: ['client2'], title: 'Before ids', content: armour(sealed) },
        formatReceivedTime(nowMicros()),
      ),
    );
    const out = await terminal('client2', ['2', '3', '2', '4']);
    expect(out).toContain('This sealed email carries no id (an older format)');
    expect(out).toContain('Contents:\nSealed the old way.');
  });
});

describe('the key generator', () => {
  it('refuses cIient1 beside client1, in one run or beside a home that has client1, in one line naming both', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sealed-mail-lookalike-'));
    try {
      const together = await runNode('scripts/keygen.js', [
        '--out',
        out,
        '--users',
        `client1,${LOOKALIKE}`,
      ]);
      expect(together.code).toBe(2);
      expect(together.stderr).toBe(
        `keygen: "${LOOKALIKE}" looks like "client1" (in this run): readers could not tell them apart (UTS #39 skeleton, case, rn/m, vv/w, cl/d); choose another name`,
      );
      expect(readdirSync(out)).toEqual([]);

      const made = await runNode('scripts/keygen.js', ['--out', out, '--users', 'client1']);
      expect(made.code).toBe(0);
      const beside = await runNode('scripts/keygen.js', [
        '--out',
        out,
        '--users',
        LOOKALIKE,
        '--force',
      ]);
      expect(beside.code).toBe(2);
      expect(beside.stderr).toBe(
        `keygen: "${LOOKALIKE}" looks like "client1" (already in ${join(out, 'server')}): readers could not tell them apart (UTS #39 skeleton, case, rn/m, vv/w, cl/d); choose another name`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
