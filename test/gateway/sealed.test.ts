/**
 * Sealed mail through the web gateway: the built gateway, its session children and real mail
 * servers (enhanced and classic). The session child seals and opens; what the browser receives
 * is checked (fingerprints, what was verified, warnings) and so is what lands on the server.
 */
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARMOUR_BEGIN } from '../../protocol/sealed/suite.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelKind, EmailView, Reply } from '../../gateway/messages.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { codePointLength } from '../../protocol/text.js';
import {
  Browser,
  gatewayCookie,
  makeWebRoot,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { inboxOf, makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

type Of<K extends Reply['type']> = Extract<Reply, { type: K }>;

const USERS = ['client1', 'client2', 'client3'];
let keys: { dir: string; cleanup: () => void };
let web: { dir: string; cleanup: () => void };
let data: string;
let classic: RunningServer;
let enhanced: RunningServer;
let gateway: RunningGateway;
const tabs: Browser[] = [];

beforeAll(async () => {
  keys = await makeKeySetup(USERS);
  web = makeWebRoot();
  data = mkdtempSync(join(tmpdir(), 'sealed-mail-data-'));
  classic = await startMailServer(serverHome(keys.dir));
  enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
  gateway = await startGatewayProcess([
    '--keys',
    keys.dir,
    '--server',
    `127.0.0.1:${classic.port}`,
    '--enhanced-server',
    `127.0.0.1:${enhanced.port}`,
    '--web-root',
    web.dir,
    '--data',
    data,
    '--poll',
    '0',
  ]);
});
afterEach(async () => {
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
});
afterAll(async () => {
  await gateway.stop();
  await Promise.all([classic.stop(), enhanced.stop()]);
  rmSync(data, { recursive: true, force: true });
  web.cleanup();
  keys.cleanup();
});

const fingerprintOf = (user: string): string =>
  keyFingerprint(createPublicKey(readFileSync(join(serverHome(keys.dir), `${user}_public.pem`))));

async function signIn(
  username: string,
  protocol: ChannelKind = 'enhanced',
): Promise<{ tab: Browser; signedIn: Of<'signedIn'> }> {
  // A browser of its own each (its own cookie, so its own session).
  const tab = await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
  tabs.push(tab);
  const reply = await tab.request({
    type: 'signIn',
    server: '',
    username,
    password: `password${username.slice(-1)}`,
    protocol,
  });
  if (reply.type !== 'signedIn') throw new Error(`not signed in: ${JSON.stringify(reply)}`);
  return { tab, signedIn: reply };
}

async function send(tab: Browser, to: string[], title: string, content: string): Promise<Reply> {
  return tab.request({ type: 'send', to, title, content });
}

/** Reads the newest email of a tab's inbox. */
async function readNewest(tab: Browser): Promise<EmailView> {
  const inbox = await tab.request({ type: 'listInbox' });
  if (inbox.type !== 'inbox') throw new Error(JSON.stringify(inbox));
  const newest = inbox.items.at(-1);
  if (!newest) throw new Error('empty inbox');
  const reply = await tab.request({
    type: 'read',
    index: newest.index,
    ...(newest.id === undefined ? {} : { emailId: newest.id }),
  });
  if (reply.type !== 'email') throw new Error(JSON.stringify(reply));
  return reply.email;
}

/** The one email file of a user's inbox whose text matches. */
function storedFile(user: string, title: string): string {
  const name = readdirSync(inboxOf(keys.dir, user)).find((file) => file.includes(title));
  if (!name) throw new Error(`no ${title} in ${user}'s inbox`);
  return join(inboxOf(keys.dir, user), name);
}

/** Puts another user's key in place of one in a user's keyring; returns what puts it back. */
function swapKeyringKey(user: string, owner: string, impostor: string): () => void {
  const keyring = join(keys.dir, user, 'keyring');
  const file = join(keyring, `${owner}_public.pem`);
  const original = readFileSync(file);
  writeFileSync(file, readFileSync(join(keyring, `${impostor}_public.pem`)));
  return () => {
    writeFileSync(file, original);
  };
}

describe('sealed mail through the gateway', () => {
  it('signs in with the user\u2019s own key fingerprint, the keyring\u2019s, and the sealed capability', async () => {
    const { signedIn } = await signIn('client1');
    expect(signedIn.capabilities.sealed).toBe(true);
    expect(signedIn.keyFingerprint).toBe(fingerprintOf('client1'));
    expect(signedIn.keyring).toEqual(
      USERS.map((name) => ({ name, fingerprint: fingerprintOf(name), provenance: 'keyring' })),
    );
    const { signedIn: onClassic } = await signIn('client2', 'classic');
    expect(onClassic.capabilities.sealed).toBe(false);
    expect(onClassic.keyFingerprint).toBe(fingerprintOf('client2'));
  });

  it('seals what it sends: the browser hears for whom, the server stores no word of it, the recipient reads it verified', async () => {
    const { tab } = await signIn('client1');
    const content = `Quarterly figures 😀 ${'é'.repeat(50)} confidential`;
    const sent = await send(tab, ['client2', 'client3'], 'Figures', content);
    expect(sent).toMatchObject({
      type: 'sent',
      recipients: ['client2', 'client3'],
      sealed: {
        readers: [
          { name: 'client2', fingerprint: fingerprintOf('client2') },
          { name: 'client3', fingerprint: fingerprintOf('client3') },
          { name: 'client1', fingerprint: fingerprintOf('client1') },
        ],
        fromServer: [],
        withoutKey: [],
      },
      delivery: { accepted: true },
    });
    for (const user of ['client2', 'client3'])
      expect(readFileSync(storedFile(user, 'Figures'), 'utf8')).not.toContain('confidential');

    const reader = await signIn('client3');
    const email = await readNewest(reader.tab);
    expect(email).toMatchObject({
      from: 'client1',
      to: ['client2', 'client3'],
      title: 'Figures',
      content,
      contentLength: codePointLength(content),
      sealed: {
        verified: true,
        signedBy: 'client1',
        signerFingerprint: fingerprintOf('client1'),
        readers: [
          { name: 'client2', fingerprint: fingerprintOf('client2') },
          { name: 'client3', fingerprint: fingerprintOf('client3') },
          { name: 'client1', fingerprint: fingerprintOf('client1') },
        ],
      },
    });
    expect(Object.keys(email.sealed ?? {}).sort()).toEqual([
      'emailId',
      'readers',
      'signedAt',
      'signedBy',
      'signerFingerprint',
      'signerKey',
      'verified',
    ]);
    expect(email.sealed?.signedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(email.sealed?.emailId).toMatch(/^[0-9a-f]{32}$/);
    expect(email.raw).toMatch(/^From: client1\n[\s\S]*-----BEGIN SEALED EMAIL-----\n/);
    // Nothing the browser got holds a private key.
    expect(JSON.stringify(reader.tab.replies)).not.toMatch(/PRIVATE KEY/);
  });

  it('a sealed email read over the classic protocol is opened and verified by the session child too', async () => {
    const { tab } = await signIn('client1');
    await send(tab, ['client2'], 'For classic', 'read me anywhere');
    const { tab: onClassic } = await signIn('client2', 'classic');
    const email = await readNewest(onClassic);
    expect(email).toMatchObject({ content: 'read me anywhere', sealed: { verified: true } });
  });

  it('warns on an email the server altered: the content is not shown when the signature fails', async () => {
    const { tab } = await signIn('client1');
    await send(tab, ['client2'], 'Invoice', 'Pay to account 1234-5678.');
    const file = storedFile('client2', 'Invoice');
    const text = readFileSync(file, 'utf8');
    const bodyAt = text.indexOf('-----BEGIN SEALED EMAIL-----\n') + 100;
    const flipped = text[bodyAt] === 'A' ? 'B' : 'A';
    writeFileSync(file, `${text.slice(0, bodyAt)}${flipped}${text.slice(bodyAt + 1)}`);
    const { tab: reader } = await signIn('client2');
    const email = await readNewest(reader);
    expect(email.content).toBe('');
    expect(email.sealed).toMatchObject({ verified: false, signedBy: 'client1' });
    expect(email.sealed?.problem).toMatch(/^(BAD_SIGNATURE|MALFORMED)$/);
    expect(email.sealed?.warning).toMatch(/Its content is not shown\.$/);
  });

  it('warns when the server changed the title it lists, and shows what the sender signed', async () => {
    const { tab } = await signIn('client1');
    await send(tab, ['client2'], 'Lunch', 'At noon.');
    const file = storedFile('client2', 'Lunch');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Title: Lunch\n', 'Title: Fired\n'));
    const { tab: reader } = await signIn('client2');
    const email = await readNewest(reader);
    expect(email).toMatchObject({
      title: 'Lunch',
      content: 'At noon.',
      sealed: {
        verified: false,
        problem: 'ENVELOPE_ALTERED',
        warning:
          "The server's Title line of this email differs from what client1 signed: shown here is what they signed.",
      },
    });
  });

  it('refuses to send when a recipient\u2019s key changed in the keyring, with a warning, and sends nothing', async () => {
    const { tab } = await signIn('client3');
    await send(tab, ['client1'], 'First', 'pins client1');
    const before = readdirSync(inboxOf(keys.dir, 'client1')).length;
    const restore = swapKeyringKey('client3', 'client1', 'client2');
    try {
      const refused = await send(tab, ['client1'], 'Second', 'must not go');
      expect(refused).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
      expect(refused.type === 'error' && refused.message).toContain(
        `The key of client1 has changed: ${fingerprintOf('client1')} is pinned for client1, but your keyring now holds ${fingerprintOf('client2')}.`,
      );
      expect(readdirSync(inboxOf(keys.dir, 'client1'))).toHaveLength(before);
      // The session goes on.
      expect(await tab.request({ type: 'listInbox' })).toMatchObject({ type: 'inbox' });
    } finally {
      restore();
    }
  });

  it('warns on reading an email whose signer\u2019s key changed in the keyring, and shows no content', async () => {
    const { tab } = await signIn('client1');
    await send(tab, ['client3'], 'Pinned', 'signed with the pinned key');
    const reader = await signIn('client3');
    expect(await readNewest(reader.tab)).toMatchObject({ sealed: { verified: true } });
    const restore = swapKeyringKey('client3', 'client1', 'client2');
    try {
      const email = await readNewest(reader.tab);
      expect(email).toMatchObject({
        from: 'client1',
        title: 'Pinned',
        content: '',
        sealed: { verified: false, signedBy: 'client1', problem: 'KEY_CHANGED' },
      });
      expect(email.sealed?.warning).toContain(
        `The key of client1 has changed: ${fingerprintOf('client1')} is pinned for client1, but your keyring now holds ${fingerprintOf('client2')}.`,
      );
      expect(email.sealed?.signerFingerprint).toBeUndefined();
    } finally {
      restore();
    }
  });

  it('seals over the classic protocol too, with the keyring\u2019s keys: the server stores only the armour', async () => {
    const { tab } = await signIn('client2', 'classic');
    const plan = await tab.request({ type: 'sealingPlan', to: ['client3', 'client2'] });
    expect(plan).toMatchObject({
      type: 'sealingPlan',
      recipients: [
        { name: 'client3', state: 'keyring', fingerprint: fingerprintOf('client3') },
        { name: 'client2', state: 'own' },
      ],
    });
    const sent = await send(tab, ['client3'], 'Classic sealed', 'sealed words over classic');
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    const stored = readFileSync(storedFile('client3', 'Classic sealed'), 'utf8');
    expect(stored).toContain(ARMOUR_BEGIN);
    expect(stored).not.toContain('sealed words');
    const { tab: reader } = await signIn('client3', 'classic');
    const email = await readNewest(reader);
    expect(email).toMatchObject({ content: 'sealed words over classic' });
    expect(email.sealed).toMatchObject({ verified: true, signedBy: 'client2' });
  });

  it('over the classic protocol, refuses to send plain to a name without a key unless told to, and then sends plain', async () => {
    const keyring = join(keys.dir, 'client2', 'keyring');
    const moved = join(keys.dir, 'client1_public.pem.away');
    renameSync(join(keyring, 'client1_public.pem'), moved);
    try {
      const { tab } = await signIn('client2', 'classic');
      const plan = await tab.request({ type: 'sealingPlan', to: ['client1'] });
      expect(plan).toMatchObject({ recipients: [{ name: 'client1', state: 'noKey' }] });
      const refused = await send(tab, ['client1', 'client3'], 'Plain', 'plain words');
      expect(refused).toMatchObject({ type: 'error', code: 'NOT_SEALABLE' });
      expect(refused.type === 'error' && refused.message).toContain('client1');
      expect(readdirSync(inboxOf(keys.dir, 'client1')).some((f) => f.includes('Plain'))).toBe(
        false,
      );
      const sent = await tab.request({
        type: 'send',
        to: ['client1'],
        title: 'Plain',
        content: 'plain words',
        unsealed: true,
      });
      expect(sent).toMatchObject({ type: 'sent' });
      expect(sent.type === 'sent' && sent.sealed).toBeUndefined();
      expect(readFileSync(storedFile('client1', 'Plain'), 'utf8')).toMatch(/\nplain words$/);
    } finally {
      renameSync(moved, join(keyring, 'client1_public.pem'));
    }
  });
});
