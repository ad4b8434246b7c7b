/**
 * Session version 7: several emails read by id in one exchange, in process (the session layer
 * over a memory channel, the server's real hooks and store). The answer keeps the order of the
 * ids, says which are not there, stops at BATCH_BYTES for the client to ask again, and a
 * malformed batch ends the session before anything is read.
 */
import { describe, expect, it } from 'vitest';
import { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ServerHome } from '../../mail-server/home.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { isProtocolError } from '../../protocol/errors.js';
import { serveMenu } from '../../protocol/operations/menu.js';
import {
  BATCH_BYTES,
  MAX_BATCH_IDS,
  type ReadResult,
} from '../../protocol/operations/view-email.js';
import { REQUEST_EMAIL_INDEX } from '../../protocol/texts.js';
import { channelPair } from '../helpers/channel-pair.js';
import { hooksFor, withSessionHome } from '../helpers/session-hooks.js';

let home: ServerHome;
withSessionHome((loaded) => {
  home = loaded;
});

function session(user: string, store: MemoryStore, version: number = SessionVersion.batchReads) {
  const { client, server } = channelPair(version);
  const served = serveMenu(server, hooksFor(home, user, store, { maxInboxBytes: 64 << 20 }));
  return { client, served };
}

async function signedIn(user: string, store: MemoryStore, version?: number) {
  const { client, served } = session(user, store, version);
  return { mail: await MailClient.start(client, user), served };
}

const contentOf = (result: ReadResult | undefined): string | undefined =>
  result?.kind === 'email' ? result.email?.content : undefined;

/** client2's inbox with the given contents, and its listing's ids in order. */
async function inboxOf(
  contents: readonly string[],
): Promise<{ store: MemoryStore; ids: string[] }> {
  const store = new MemoryStore(home.users.keys());
  const { mail } = await signedIn('client1', store);
  for (const [i, content] of contents.entries())
    await mail.send({ to: ['client2'], title: `email ${i}`, content });
  await mail.terminate();
  const ids = (await store.list('client2')).map((entry) => entry.id);
  return { store, ids };
}

describe('session version 7: reading emails in batches', () => {
  it('answers the ids in their order, an unknown or foreign id as not there, in one exchange', async () => {
    const { store, ids } = await inboxOf(['first', 'second', 'third']);
    await (async () => {
      const { mail } = await signedIn('client3', store);
      await mail.send({ to: ['client1'], title: 'not for client2', content: 'x' });
      await mail.terminate();
    })();
    const [other] = await store.list('client1');
    const { mail } = await signedIn('client2', store);
    expect(mail.capabilities.batchReads).toBe(true);
    const [a, b, c] = ids;
    const results = await mail.readBatch([c ?? '', 'made-up', a ?? '', other?.id ?? '', b ?? '']);
    expect(results.map(contentOf)).toEqual(['third', undefined, 'first', undefined, 'second']);
    expect(results[1]).toEqual({
      kind: 'refused',
      text: 'Invalid email index: id:made-up. There is no such email in your inbox.',
    });
    // The session goes on as before: a single read, the menu after it.
    const single = await mail.read({ id: b ?? '' });
    expect(contentOf(single)).toBe('second');
    await mail.terminate();
  });

  it(`stops adding emails once ${BATCH_BYTES} bytes are in, and the client asks again for the rest`, async () => {
    const big = 'b'.repeat(600_000);
    const { store, ids } = await inboxOf([big, big, big, 'small']);
    const { mail } = await signedIn('client2', store);
    const first = await mail.readBatch(ids);
    // 600,000 bytes, then 1,200,000 (past the budget): two emails, whole.
    expect(first.map(contentOf)).toEqual([big, big]);
    const rest = await mail.readBatch(ids.slice(first.length));
    expect(rest.map(contentOf)).toEqual([big, 'small']);
    await mail.terminate();
  });

  it('refuses on the client a batch it cannot name: none, too many, an id with a space', async () => {
    const { store, ids } = await inboxOf(['one']);
    const { mail } = await signedIn('client2', store);
    await expect(mail.readBatch([])).rejects.toThrow(RangeError);
    await expect(
      mail.readBatch(Array.from({ length: MAX_BATCH_IDS + 1 }, () => ids[0] ?? '')),
    ).rejects.toThrow(RangeError);
    await expect(mail.readBatch(['two words'])).rejects.toThrow(RangeError);
    // Nothing was sent: the session still reads.
    expect((await mail.readBatch(ids)).map(contentOf)).toEqual(['one']);
    await mail.terminate();
  });

  for (const [what, answer] of [
    [
      'more ids than a batch may name',
      `ids:${Array.from({ length: MAX_BATCH_IDS + 1 }, (_, i) => `x${i}`).join(' ')}`,
    ],
    ['an empty id', 'ids:a  b'],
    ['an id of 300 characters', `ids:${'x'.repeat(300)}`],
    ['a text far too long to split', `ids:${'x '.repeat(200_000)}`],
  ] as const) {
    it(`ends the session on a batch with ${what}, before reading anything`, async () => {
      const { store } = await inboxOf(['one']);
      const read: unknown[] = [];
      const { client, server } = channelPair(SessionVersion.batchReads);
      const hooks = hooksFor(home, 'client2', store);
      const served = serveMenu(server, {
        ...hooks,
        onRead: (ref) => {
          read.push(ref);
          return hooks.onRead(ref);
        },
      });
      await client.receive();
      await client.send('3');
      expect(await client.receive()).toBe(REQUEST_EMAIL_INDEX);
      await client.send(answer);
      const error: unknown = await served.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(isProtocolError(error) && error.message).toMatch(/^a batch of ids that is /);
      expect(read).toEqual([]);
    });
  }

  it('is not offered below version 7: there "ids:" is an index that names no email', async () => {
    const { store, ids } = await inboxOf(['one']);
    const { mail } = await signedIn('client2', store, SessionVersion.serverKeyUpdates);
    expect(mail.capabilities.batchReads).toBe(false);
    await expect(mail.readBatch(ids)).rejects.toThrow(
      'reading several emails at once needs the enhanced protocol, session version 7 or later',
    );
    const viaIndex = await mail.read(() => Promise.resolve(`ids:${ids[0] ?? ''}`));
    expect(viaIndex.kind).toBe('refused');
    await mail.terminate();
  });
});
