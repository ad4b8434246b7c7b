/**
 * Session version 4's listing by changes: the change set of two listings rebuilds the second
 * from the first whatever happened between them (property test), changes that do not fit the
 * client's listing are refused, and a session between the client library and the server's
 * hooks sends only what changed through deliveries and deletes by other sessions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ServerHome } from '../../mail-server/home.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { isProtocolError } from '../../protocol/errors.js';
import type { InboxRow } from '../../protocol/inbox.js';
import {
  applyInboxChanges,
  changesMessage,
  inboxChanges,
  type InboxChanges,
} from '../../protocol/operations/list-changes.js';
import { changesOperations, menuText, serveMenu } from '../../protocol/operations/menu.js';
import { message, receiveMessage, sendMessage } from '../../protocol/operations/typed-channel.js';
import { channelPair } from '../helpers/channel-pair.js';
import { hooksFor, withSessionHome } from '../helpers/session-hooks.js';

const row = (id: string, index: number): InboxRow => ({
  index,
  id,
  from: `sender of ${id}`,
  receivedAt: '2026-11-26 10:00:00.000000',
  title: `title of ${id}`,
});
const listing = (ids: readonly string[]): InboxRow[] => ids.map((id, i) => row(id, i + 1));
const problem = (text: string): Error => new Error(text);

describe('change sets of two listings', () => {
  it('rebuild the new listing from the old one: anything added anywhere, anything removed', () => {
    // A universe of ids in inbox order; each listing is a subset of it in that order.
    const ids = Array.from({ length: 40 }, (_, i) => `id${String(i).padStart(2, '0')}`);
    const subset = fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length });
    fc.assert(
      fc.property(subset, subset, (inBefore, inAfter) => {
        const before = listing(ids.filter((_, i) => inBefore[i]));
        const after = listing(ids.filter((_, i) => inAfter[i]));
        const changes = inboxChanges(before, after);
        expect(applyInboxChanges(before, changes, problem)).toEqual(after);
        // Only what changed is sent.
        const kept = ids.filter((_, i) => inBefore[i] && inAfter[i]).length;
        expect(changes.added).toHaveLength(after.length - kept);
        expect(changes.removed).toHaveLength(before.length - kept);
      }),
    );
  });

  it('append to the same row objects when mail was only added, and send nothing when nothing changed', () => {
    const before = listing(['a', 'b', 'c']);
    const after = listing(['a', 'b', 'c', 'd']);
    const changes = inboxChanges(before, after);
    expect(changes).toEqual({ total: 4, removed: [], added: [row('d', 4)] });
    const rebuilt = applyInboxChanges(before, changes, problem);
    expect(rebuilt[0]).toBe(before[0]);
    expect(inboxChanges(after, listing(['a', 'b', 'c', 'd']))).toEqual({
      total: 4,
      removed: [],
      added: [],
    });
  });

  it('are refused when they do not fit the listing the client holds', () => {
    const before = listing(['a', 'b', 'c']);
    const refused = (changes: InboxChanges): string => {
      try {
        applyInboxChanges(before, changes, problem);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ total: 2, removed: ['x'], added: [] })).toMatch(/not listed/);
    expect(refused({ total: 1, removed: ['a', 'a'], added: [] })).toMatch(/twice/);
    expect(refused({ total: 5, removed: [], added: [row('d', 4)] })).toMatch(/are not 5/);
    expect(refused({ total: 4, removed: [], added: [row('b', 4)] })).toMatch(/listed twice/);
    expect(refused({ total: 5, removed: [], added: [row('d', 5), row('e', 4)] })).toMatch(
      /out of order/,
    );
    expect(refused({ total: 4, removed: [], added: [row('d', 9)] })).toMatch(/beyond 4/);
    expect(refused({ total: 4, removed: [], added: [row('d', 0)] })).toMatch(/out of order/);
    expect(refused({ total: 4, removed: [], added: [row('d', 1)] })).toBe('accepted');
  });
});

let home: ServerHome;
withSessionHome((loaded) => {
  home = loaded;
});

async function session(user: string, store: MemoryStore, version: number) {
  const { client, server } = channelPair(version);
  const served = serveMenu(server, hooksFor(home, user, store));
  return { mail: await MailClient.start(client, user), served };
}

describe('session version 4, in process', () => {
  it('lists only what changed since the session last listed, through other sessions delivering and deleting', async () => {
    const store = new MemoryStore(home.users.keys());
    const { mail } = await session('client1', store, SessionVersion.changes);
    expect(mail.menu).toBe(menuText(changesOperations));
    expect(mail.menu).toContain('    9) Display what changed in the inbox\n');
    expect(mail.capabilities.inboxChanges).toBe(true);
    const sender = await session('client2', store, SessionVersion.changes);
    const remover = await session('client1', store, SessionVersion.changes);
    for (const title of ['one', 'two', 'three'])
      await sender.mail.send({ to: ['client1'], title, content: title });

    const first = await mail.listInbox();
    expect(first.changes).toEqual({ first: true, removed: 0, added: first.rows });
    expect(first.rows.map((each) => each.title)).toEqual(['one', 'two', 'three']);

    await sender.mail.send({ to: ['client1'], title: 'four', content: '4' });
    const second = await mail.listInbox();
    expect(second.changes?.added.map((each) => each.title)).toEqual(['four']);
    expect(second.changes?.removed).toBe(0);

    const { rows: seenByRemover } = await remover.mail.listInbox();
    await remover.mail.delete(seenByRemover[1]?.id ?? '');
    await sender.mail.send({ to: ['client1'], title: 'five', content: '5' });
    const third = await mail.listInbox();
    expect(third.changes?.removed).toBe(1);
    expect(third.changes?.added.map((each) => each.title)).toEqual(['five']);
    // The same as a listing of session version 2 from scratch, indexes included.
    const fresh = await session('client1', store, SessionVersion.mailbox);
    expect(third.rows).toEqual((await fresh.mail.listInbox()).rows);
    expect(third.text).toBe((await fresh.mail.listInbox()).text);

    const unchanged = await mail.listInbox();
    expect(unchanged.changes).toEqual({ first: false, removed: 0, added: [] });
    expect(unchanged.rows).toEqual(third.rows);
    for (const each of [mail, sender.mail, remover.mail, fresh.mail]) await each.terminate();
  });

  it('the server refuses a request for changes since anything but nothing or the last listing, and lists nothing', async () => {
    const { client, server } = channelPair(SessionVersion.changes);
    const served = serveMenu(server, hooksFor(home, 'client1', new MemoryStore(home.users.keys())));
    expect(await client.receive()).toBe(menuText(changesOperations));
    await client.send('9');
    await sendMessage(client, message('changesRequest').u8(7));
    const refused = await served.catch((error: unknown) => error);
    expect(isProtocolError(refused, 'UNEXPECTED_MESSAGE')).toBe(true);
    expect((refused as Error).message).toMatch(/changes since 7/);
  });

  it('a server whose changes do not fit the listing the client holds ends the session with a clear error', async () => {
    /** A server that answers each changes request with the next of `answers`. */
    const listAgainst = async (
      answers: (InboxChanges & { since: number })[],
    ): Promise<unknown[]> => {
      const { client, server } = channelPair(SessionVersion.changes);
      void (async () => {
        await server.send(menuText(changesOperations));
        for (const answer of answers) {
          await server.receive();
          (await receiveMessage(server, 'changesRequest')).u8('since');
          await sendMessage(server, changesMessage(answer.since, answer));
          await server.receive();
          await server.send(menuText(changesOperations));
        }
      })().catch(() => undefined);
      const mail = await MailClient.start(client, 'client1');
      const outcomes: unknown[] = [];
      for (let i = 0; i < answers.length; i++)
        outcomes.push(await mail.listInbox().catch((error: unknown) => error));
      return outcomes;
    };
    const never = await listAgainst([{ since: 1, total: 1, removed: [], added: [row('a', 1)] }]);
    expect(isProtocolError(never[0], 'UNEXPECTED_MESSAGE')).toBe(true);
    expect((never[0] as Error).message).toMatch(/changes since 1, which was not asked for/);

    const [first, second] = await listAgainst([
      { since: 0, total: 1, removed: [], added: [row('a', 1)] },
      { since: 1, total: 0, removed: ['not listed'], added: [] },
    ]);
    expect((first as { rows: InboxRow[] }).rows).toEqual([row('a', 1)]);
    expect(isProtocolError(second, 'UNEXPECTED_MESSAGE')).toBe(true);
    expect((second as Error).message).toMatch(
      /the changes do not fit the last listing: it removes an email not listed/,
    );
  });
});
