/**
 * The operations of session version 2 in one process, without sockets: delivery reports,
 * listings with ids, reads and deletes by id, and waiting for new mail, between the client
 * library and the server's hooks over a memory store.
 */
import { describe, expect, it } from 'vitest';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ServerHome } from '../../mail-server/home.js';
import { createLogger } from '../../mail-server/log.js';
import { sessionHooks } from '../../mail-server/session.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { isProtocolError } from '../../protocol/errors.js';
import { mailboxOperations, menuText, serveMenu } from '../../protocol/operations/menu.js';
import { channelPair } from '../helpers/channel-pair.js';
import { hooksFor, withSessionHome } from '../helpers/session-hooks.js';

let home: ServerHome;
withSessionHome((loaded) => {
  home = loaded;
});

interface Options {
  version?: number;
  maxInboxBytes?: number;
  maxWaitMs?: number;
}

async function session(user: string, store: MemoryStore, options: Options = {}) {
  const { client, server } = channelPair(options.version ?? SessionVersion.mailbox);
  const served = serveMenu(server, hooksFor(home, user, store, options));
  const mail = await MailClient.start(client, user);
  return { mail, served };
}

describe('session version 2, in process', () => {
  it('offers six operations in its menu', async () => {
    const { mail } = await session('client1', new MemoryStore(home.users.keys()));
    expect(mail.menu).toBe(menuText(mailboxOperations));
    expect(mail.menu).toContain('    5) Delete an email\n    6) Wait for new mail\n');
    expect(mail.capabilities).toEqual({
      deliveryReports: true,
      emailIds: true,
      delete: true,
      waitForMail: true,
      sealed: false,
      inboxChanges: false,
      sendIds: false,
      batchReads: false,
    });
    await mail.terminate();
  });

  it('reports each recipient: delivered, unknown user, refused over quota', async () => {
    const store = new MemoryStore(home.users.keys());
    const filler = await session('client3', store);
    await filler.mail.send({ to: ['client2'], title: 'big', content: 'x'.repeat(900) });
    await filler.mail.terminate();
    const { mail } = await session('client1', store, { maxInboxBytes: 1000 });
    const { report } = await mail.send({
      to: ['client3', 'ghost', 'client2', 'client3'],
      title: 'Test',
      content: 'y'.repeat(200),
    });
    expect(report).toEqual({
      accepted: true,
      reason: '',
      recipients: [
        { name: 'client3', status: 'delivered', reason: '' },
        { name: 'ghost', status: 'unknownUser', reason: '' },
        { name: 'client2', status: 'refused', reason: 'the recipient’s inbox is full' },
      ],
    });
    expect(await store.list('client2')).toHaveLength(1);
    await mail.terminate();
  });

  it('reports an email refused as a whole, and stores none of it', async () => {
    const store = new MemoryStore(home.users.keys());
    const { client, server } = channelPair(SessionVersion.mailbox);
    const account = home.users.get('client1');
    if (!account) throw new Error('no client1');
    const served = serveMenu(
      server,
      sessionHooks(
        {
          home,
          store,
          log: createLogger('fatal'),
          announce: () => undefined,
          maxInboxBytes: 1 << 20,
          maxWaitMs: 60_000,
        },
        account,
      ),
    );
    const mail = await MailClient.start(client, 'client1');
    // The client library refuses too many recipients itself; a client that sends them anyway:
    const tooMany = Array.from({ length: 101 }, (_, i) => `user${i}`).join(';');
    await client.send('1');
    expect(await client.receive()).toBe('Send the email');
    await client.send(`From: client1\nTo: ${tooMany}\nTitle: t\nContent Length: 1\nContent:\nx`);
    const report = await client.receiveBytes?.();
    expect(report?.[0]).toBe(0x31);
    expect(report?.[1]).toBe(0); // not accepted
    expect(report?.toString('utf8')).toContain('the email has 101 recipients; the limit is 100');
    expect(await client.receive()).toBe(mail.menu);
    await client.send('4');
    await served;
    expect(await store.list('client2')).toEqual([]);
  });

  it('lists ids, reads and deletes by id; a deleted, foreign or made-up id deletes nothing', async () => {
    const store = new MemoryStore(home.users.keys());
    const sender = await session('client1', store);
    await sender.mail.send({ to: ['client2', 'client3'], title: 'one', content: '1' });
    await sender.mail.send({ to: ['client2'], title: 'two', content: '2' });
    await sender.mail.terminate();
    const { mail } = await session('client2', store);
    const { rows, text } = await mail.listInbox();
    expect(rows.map((row) => [row.index, row.title])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    expect(text).toMatch(/^Index\s+From\s+DateTime\s+Title\n1\s+client1/);
    const [one, two] = rows;
    const read = await mail.read({ id: two?.id ?? '' });
    expect(read.kind === 'email' ? read.email?.content : undefined).toBe('2');
    expect(await mail.delete(one?.id ?? '')).toBe(true);
    expect(await mail.delete(one?.id ?? '')).toBe(false);
    const [foreign] = await store.list('client3');
    expect(await mail.delete(foreign?.id ?? '')).toBe(false);
    expect(await mail.delete('made-up')).toBe(false);
    expect((await mail.listInbox()).rows.map((row) => row.title)).toEqual(['two']);
    expect(await store.list('client3')).toHaveLength(1);
    expect(await mail.read({ id: one?.id ?? '' })).toEqual({
      kind: 'refused',
      text: `Invalid email index: id:${one?.id ?? ''}. There is no such email in your inbox.`,
    });
    await mail.terminate();
  });

  it('wakes a waiting client the moment mail is delivered to it', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client2', store);
    const waiting = mail.waitForMail({ timeoutSeconds: 60 });
    const sender = await session('client1', store);
    await sender.mail.send({ to: ['client2'], title: 'pushed', content: 'now' });
    expect(await waiting).toBe('newMail');
    expect((await mail.listInbox()).rows.map((row) => row.title)).toEqual(['pushed']);
    await Promise.all([mail.terminate(), sender.mail.terminate()]);
  });

  it('ends a wait when the client cancels it, and when the server times it out', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client2', store, { maxWaitMs: 20 });
    expect(await mail.waitForMail({ timeoutSeconds: 60 })).toBe('timedOut');
    const patient = await session('client3', store);
    const controller = new AbortController();
    const waiting = patient.mail.waitForMail({ timeoutSeconds: 60, signal: controller.signal });
    controller.abort();
    expect(await waiting).toBe('cancelled');
    // The session goes on as usual after either.
    expect((await patient.mail.listInbox()).rows).toEqual([]);
    await Promise.all([mail.terminate(), patient.mail.terminate()]);
  });

  it('keeps the four original operations for a client of session version 1', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client1', store, { version: SessionVersion.original });
    expect(mail.menu).toContain('4) Terminate the connection\n\n    choice: ');
    expect(mail.menu).not.toContain('5)');
    expect(await mail.send({ to: ['client2'], title: 't', content: 'c' })).not.toHaveProperty(
      'report',
    );
    await expect(mail.delete('x')).rejects.toSatisfy((error) =>
      isProtocolError(error, 'NOT_SUPPORTED'),
    );
    expect((await mail.listInbox()).rows[0]?.id).toBeUndefined();
    await mail.terminate();
  });
});
