/**
 * The session layer in one process, without sockets: the server's hooks over a memory store,
 * the protocol's menu loop, and the client library at the other end of an in-memory channel.
 */
import { describe, expect, it } from 'vitest';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ServerHome } from '../../mail-server/home.js';
import { createLogger } from '../../mail-server/log.js';
import { sessionHooks } from '../../mail-server/session.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { MENU, menuText, serveMenu } from '../../protocol/operations/menu.js';
import { sendEmail } from '../../protocol/operations/send-email.js';
import { channelPair } from '../helpers/channel-pair.js';
import { withSessionHome } from '../helpers/session-hooks.js';

let home: ServerHome;
withSessionHome((loaded) => {
  home = loaded;
});

/** A logged-in session of `user`: the server's loop running, the client library at the other end. */
async function session(user: string, store: MemoryStore) {
  const lines: string[] = [];
  const { client, server } = channelPair();
  const account = home.users.get(user);
  if (!account) throw new Error(`no account ${user}`);
  const context = {
    home,
    store,
    log: createLogger('fatal'),
    announce: (line: string) => lines.push(line),
    maxInboxBytes: 1024 * 1024,
    maxWaitMs: 60_000,
  };
  const served = serveMenu(server, sessionHooks(context, account));
  const mail = await MailClient.start(client, user);
  return { mail, lines, served };
}

describe('session layer, in process', () => {
  it('derives the menu of section E.4 from the operations, byte for byte', () => {
    expect(MENU).toBe(
      'Select the operation:\n' +
        '    1) Create and send an email\n' +
        '    2) Display the inbox list\n' +
        '    3) Display the email contents\n' +
        '    4) Terminate the connection\n' +
        '\n' +
        '    choice: ',
    );
    expect(menuText([sendEmail])).toBe(
      'Select the operation:\n    1) Create and send an email\n\n    choice: ',
    );
  });

  it('sends, lists and reads through the store, and prints the specification lines', async () => {
    const store = new MemoryStore(home.users.keys());
    const one = await session('client1', store);
    expect(one.mail.menu).toBe(MENU);
    await one.mail.send({
      to: ['client2', 'ghost', 'client2'],
      title: 'Test',
      content: 'Welcome to CMPT 361 class.',
    });
    await one.mail.terminate();
    await one.served;
    expect(one.lines).toEqual([
      'An email from client1 is sent to client2;ghost;client2 has a content length of 26 .',
      'Terminating connection with client1.',
    ]);
    // Stored once for client2, not at all for the unknown name.
    expect(await store.list('client2')).toHaveLength(1);

    const two = await session('client2', store);
    const { rows } = await two.mail.listInbox();
    expect(rows.map((row) => [row.index, row.from, row.title])).toEqual([[1, 'client1', 'Test']]);
    const read = await two.mail.read(1);
    expect(read.kind === 'email' ? read.email?.content : undefined).toBe(
      'Welcome to CMPT 361 class.',
    );
    const missing = await two.mail.read(7);
    expect(missing).toEqual({
      kind: 'refused',
      text: 'Invalid email index: 7. Choose a number from 1 to 1.',
    });
    const notNumber = await two.mail.read(async () => Promise.resolve('abc'));
    expect(notNumber.text).toBe('Invalid email index: abc. Choose a number from 1 to 1.');
    await two.mail.terminate();
    await two.served;
  });

  it('stores nothing when From is not the signed-in user, or the email breaks section D', async () => {
    const store = new MemoryStore(home.users.keys());
    const { client, server } = channelPair();
    const account = home.users.get('client1');
    if (!account) throw new Error('no client1');
    const lines: string[] = [];
    const served = serveMenu(
      server,
      sessionHooks(
        {
          home,
          store,
          log: createLogger('fatal'),
          announce: (line) => lines.push(line),
          maxInboxBytes: 1024 * 1024,
          maxWaitMs: 60_000,
        },
        account,
      ),
    );
    expect(await client.receive()).toBe(MENU);
    for (const email of [
      'From: client3\nTo: client2\nTitle: forged\nContent Length: 1\nContent:\nx',
      `From: client1\nTo: client2\nTitle: ${'t'.repeat(101)}\nContent Length: 1\nContent:\nx`,
      'From: client1\nTo: client2\nTitle: lies\nContent Length: 9\nContent:\nx',
    ]) {
      await client.send(sendEmail.choice);
      expect(await client.receive()).toBe('Send the email');
      await client.send(email);
      expect(await client.receive()).toBe(MENU);
    }
    await client.send('4');
    await served;
    expect(await store.list('client2')).toEqual([]);
    expect(lines).toEqual(['Terminating connection with client1.']);
  });

  it('says the inbox is empty, and ends the session on any choice it does not know', async () => {
    const store = new MemoryStore(home.users.keys());
    const three = await session('client3', store);
    expect((await three.mail.listInbox()).text).toBe('Your inbox is empty.\n');
    await three.mail.terminate('9');
    await three.served;
    expect(three.lines).toEqual(['Terminating connection with client3.']);
  });
});
