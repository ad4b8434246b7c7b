/**
 * Session version 3 in one process, without sockets: the client library seals and opens, the
 * server's hooks check and store into real Maildir folders, and the files on disk are looked at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder } from '../../gateway/protocol-client/keys.js';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { SealedMail } from '../../gateway/protocol-client/sealed-mail.js';
import { loadServerHome, type ServerHome } from '../../mail-server/home.js';
import { createLogger } from '../../mail-server/log.js';
import { sessionHooks } from '../../mail-server/session.js';
import { SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { parseStoredEmail } from '../../protocol/email.js';
import { keyFingerprint } from '../../protocol/enhanced/fingerprint.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import {
  mailboxOperations,
  menuText,
  sealedOperations,
  serveMenu,
} from '../../protocol/operations/menu.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { ARMOUR_BEGIN, ARMOUR_END } from '../../protocol/sealed/suite.js';
import { channelPair } from '../helpers/channel-pair.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';

const USERS = ['client1', 'client2', 'client3'];
let keys: { dir: string; cleanup: () => void };
let home: ServerHome;
let store: SeedFilesStore;
const announced: string[] = [];

beforeEach(async () => {
  keys = await makeKeySetup(USERS);
  home = loadServerHome(serverHome(keys.dir));
  store = new SeedFilesStore(home.dir, home.users.keys());
  announced.length = 0;
});
afterEach(() => {
  keys.cleanup();
});

const privateKeyOf = (user: string) => setupKeys(keys.dir, user).privateKey();

async function session(user: string, version: number = SessionVersion.sealed) {
  const { client, server } = channelPair(version);
  const account = home.users.get(user);
  if (!account) throw new Error(`no account ${user}`);
  const context = {
    home,
    store,
    log: createLogger('fatal'),
    announce: (line: string) => announced.push(line),
    maxInboxBytes: 64 * 1024 * 1024,
    maxWaitMs: 60_000,
  };
  void serveMenu(server, sessionHooks(context, account));
  const mail = await MailClient.start(client, user);
  const sealed = new SealedMail(
    mail,
    privateKeyOf(user),
    new Keyring(keyringFolder(keys.dir, user)),
  );
  return { mail, sealed, client };
}

/** Every file of every inbox folder, as text. */
const inboxTexts = (): string[] =>
  USERS.flatMap((user) =>
    readdirSync(inboxOf(keys.dir, user)).map((name) =>
      readFileSync(join(inboxOf(keys.dir, user), name), 'utf8'),
    ),
  );

describe('session version 3, in process', () => {
  it('offers eight operations; sessions of versions 1 and 2 keep their menus', async () => {
    const { mail } = await session('client1');
    expect(mail.menu).toBe(menuText(sealedOperations));
    expect(mail.menu).toContain('    7) Send a sealed email\n    8) Fetch public keys\n');
    expect(mail.capabilities.sealed).toBe(true);
    const older = await session('client2', SessionVersion.mailbox);
    expect(older.mail.menu).toBe(menuText(mailboxOperations));
    expect(older.mail.capabilities.sealed).toBe(false);
    await expect(older.mail.sendSealed(Buffer.alloc(1))).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    });
    await Promise.all([mail.terminate(), older.mail.terminate()]);
  });

  it('stores a sealed email in the seed layout: From, To, Time and Date, Title in clear, the armoured body as content', async () => {
    const { mail, sealed } = await session('client1');
    const { report, readers } = await sealed.send({
      to: ['client2', 'client3'],
      title: 'Salaries',
      content: 'Q3 salaries: Alice 98k, Bob 87k. Do not forward.',
    });
    expect(report?.recipients.map((r) => [r.name, r.status])).toEqual([
      ['client2', 'delivered'],
      ['client3', 'delivered'],
    ]);
    expect(readers.map((reader) => reader.name)).toEqual(['client2', 'client3', 'client1']);
    expect(readdirSync(inboxOf(keys.dir, 'client2'))).toEqual(['client1_Salaries.txt']);
    const text = readFileSync(join(inboxOf(keys.dir, 'client2'), 'client1_Salaries.txt'), 'utf8');
    expect(text).toMatch(
      new RegExp(
        `^From: client1\\nTo: client2;client3\\nTime and Date: \\d{4}-\\d\\d-\\d\\d [\\d:.]+\\nTitle: Salaries\\nContent Length: \\d+\\nContent:\\n${ARMOUR_BEGIN}\\n[A-Za-z0-9+/=\\n]+\\n${ARMOUR_END}$`,
      ),
    );
    const stored = parseStoredEmail(text);
    expect(stored.contentLength).toBe(stored.content.length);
    expect(announced.at(-1)).toMatch(
      /^A sealed email from client1 is sent to client2;client3: \d+ bytes the server cannot read\.$/,
    );
    // What the server and its backups hold: no word of the content.
    for (const file of inboxTexts()) {
      expect(file).not.toContain('Alice');
      expect(file).not.toContain('salaries');
    }
    await mail.terminate();
  });

  it('each recipient opens it and verifies who signed it; the listing shows the clear title', async () => {
    const sender = await session('client1');
    const content = `${'😀 sealed '.repeat(10)}end`;
    await sender.sealed.send({ to: ['client2', 'client3'], title: 'Hello', content });
    for (const user of ['client2', 'client3']) {
      const { mail, sealed } = await session(user);
      const { rows } = await mail.listInbox();
      expect(rows.map((row) => [row.from, row.title])).toEqual([['client1', 'Hello']]);
      const read = await mail.read(1);
      if (read.kind !== 'email' || !read.email) throw new Error('not read');
      const opened = await sealed.open(read.email);
      expect(opened).toMatchObject({
        verified: true,
        signedBy: 'client1',
        signerFingerprint: keyFingerprint(home.users.get('client1')?.publicKey ?? fail()),
        from: 'client1',
        to: ['client2', 'client3'],
        title: 'Hello',
        content,
        contentLength: 93,
      });
      expect(opened?.problem).toBeUndefined();
      await mail.terminate();
    }
    await sender.mail.terminate();
  });

  it('refuses a sealed email of another sender, or whose signature does not hold, and stores nothing; the session goes on', async () => {
    const { mail } = await session('client1');
    const sealedBy = (sender: string) =>
      sealEmail({
        sender,
        senderPrivateKey: privateKeyOf(sender),
        title: 't',
        content: 'c',
        recipients: ['client3'],
        readers: [],
      });
    const otherSender = await mail.sendSealed(sealedBy('client2'));
    expect(otherSender).toMatchObject({ accepted: false, recipients: [] });
    expect(otherSender.reason).toMatch(/client2 is not the signed-in user/);
    const badSignature = Buffer.from(sealedBy('client1'));
    badSignature.writeUInt8(
      badSignature.readUInt8(badSignature.length - 7) ^ 0x40,
      badSignature.length - 7,
    );
    expect((await mail.sendSealed(badSignature)).reason).toMatch(
      /signature does not verify with client1's public key/,
    );
    expect((await mail.sendSealed(Buffer.from('not a sealed email'))).reason).toMatch(
      /^sealed email: .*magic/,
    );
    expect(readdirSync(inboxOf(keys.dir, 'client3'))).toEqual([]);
    const good = await mail.sendSealed(sealedBy('client1'));
    expect(good.accepted).toBe(true);
    expect(readdirSync(inboxOf(keys.dir, 'client3'))).toHaveLength(1);
    await mail.terminate();
  });

  it('hands out the public keys it holds, and none for a name it does not know', async () => {
    const { mail } = await session('client1');
    const found = await mail.fetchPublicKeys(['client3', 'ghost', '../client2']);
    expect([...found.keys()]).toEqual(['client3', 'ghost', '../client2']);
    const client3 = found.get('client3');
    expect(client3 && keyFingerprint(client3)).toBe(
      keyFingerprint(home.users.get('client3')?.publicKey ?? fail()),
    );
    expect(found.get('ghost')).toBeUndefined();
    expect(found.get('../client2')).toBeUndefined();
    await mail.terminate();
  });

  it('lists a recipient without a key (no such user), seals for the others, never sends plain', async () => {
    const { mail, sealed } = await session('client1');
    const result = await sealed.send({ to: ['client2', 'ghost'], title: 'x', content: 'secret' });
    expect(result.withoutKey).toEqual(['ghost']);
    expect(result.report?.recipients.map((r) => r.status)).toEqual(['delivered', 'unknownUser']);
    expect(inboxTexts().join('')).not.toContain('secret');
    await mail.terminate();
  });

  it('refuses a recipient that is not a username before anything is sealed', async () => {
    const { mail, sealed } = await session('client1');
    await expect(
      sealed.send({ to: ['client2', '../etc'], title: 'x', content: 'y' }),
    ).rejects.toMatchObject({ code: 'INVALID_EMAIL', problem: 'BAD_RECIPIENT' });
    await mail.terminate();
  });
});

function fail(): never {
  throw new Error('missing');
}
