/**
 * Session version 5's send ids in process: the menu is version 4's, a send without a fresh id
 * per try stores once per id (plain and sealed choices alike), older versions send no id, and a
 * send id of the wrong length is refused before anything is read or stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { loadServerHome, type ServerHome } from '../../mail-server/home.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { isProtocolError } from '../../protocol/errors.js';
import { changesOperations, menuText, serveMenu } from '../../protocol/operations/menu.js';
import { newSendId } from '../../protocol/operations/send-id.js';
import { message, sendMessage } from '../../protocol/operations/typed-channel.js';
import { SEND_THE_EMAIL } from '../../protocol/texts.js';
import { channelPair } from '../helpers/channel-pair.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { hooksFor } from '../helpers/session-hooks.js';

let keys: { dir: string; cleanup: () => void };
let home: ServerHome;
beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
  home = loadServerHome(serverHome(keys.dir));
});
afterAll(() => {
  keys.cleanup();
});

async function session(user: string, store: MemoryStore, version: number) {
  const { client, server } = channelPair(version);
  const served = serveMenu(server, hooksFor(home, user, store));
  const mail = await MailClient.start(client, user);
  return { mail, served };
}

describe('session version 5: send ids', () => {
  it('keeps version 4’s menu; a send tried again with its id stores once and gets the first report', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client1', store, SessionVersion.sendIds);
    expect(mail.menu).toBe(menuText(changesOperations));
    expect(mail.capabilities.sendIds).toBe(true);
    const draft = { to: ['client2', 'ghost'], title: 'Once', content: 'only once' };
    const sendId = newSendId();
    const first = await mail.send(draft, { sendId });
    expect(first.sendId).toBe(sendId);
    const again = await mail.send(draft, { sendId });
    expect(again.report).toEqual(first.report);
    expect(first.report?.recipients.map((r) => r.status)).toEqual(['delivered', 'unknownUser']);
    // Each send without an id gets a fresh one.
    const other = await mail.send(draft);
    expect(other.sendId).not.toBe(sendId);
    expect((await store.list('client2')).map((entry) => entry.title)).toEqual(['Once', 'Once']);
    await mail.terminate();
  });

  it('an older session sends no send id, and every send is stored', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client1', store, SessionVersion.changes);
    expect(mail.capabilities.sendIds).toBe(false);
    const draft = { to: ['client2'], title: 'Twice', content: 'twice' };
    const sendId = newSendId();
    expect((await mail.send(draft, { sendId })).sendId).toBeUndefined();
    await mail.send(draft, { sendId });
    expect(await store.list('client2')).toHaveLength(2);
    await mail.terminate();
  });

  it('refuses a send id of another length before reading the email', async () => {
    for (const length of [15, 17]) {
      const store = new MemoryStore(home.users.keys());
      const { client, server } = channelPair(SessionVersion.sendIds);
      const served = serveMenu(server, hooksFor(home, 'client1', store));
      await client.receive();
      await client.send('1');
      expect(await client.receive()).toBe(SEND_THE_EMAIL);
      await sendMessage(client, message('sendId').raw(Buffer.alloc(length, 7)));
      const refused = await served.catch((error: unknown) => error);
      expect(isProtocolError(refused, 'UNEXPECTED_MESSAGE')).toBe(true);
      expect(await store.list('client2')).toEqual([]);
    }
  });
});
