/**
 * The MailStore contract: what every store must do, whatever keeps the mail. Each store's
 * test file runs these against a fresh store of its own.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingEmail, MailStore } from '../../mail-server/store/mail-store.js';
import { parseStoredEmail } from '../../protocol/email.js';
import { newSendId } from '../../protocol/operations/send-id.js';
import { codePointLength } from '../../protocol/text.js';

export const CONTRACT_USERS = ['client1', 'client2', 'client3'] as const;

export interface StoreUnderTest {
  store: MailStore;
  /** Removes whatever the store kept. */
  cleanup: () => Promise<void>;
}

function incoming(title: string, receivedAt: string, content = `body of ${title}`): IncomingEmail {
  return {
    email: { from: 'client1', to: ['client2', 'client3'], title, content },
    contentLength: codePointLength(content),
    receivedAt,
  };
}

export function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name}: the mail store contract`, () => {
    const withStore = (test: (store: MailStore) => Promise<void>) => async () => {
      const { store, cleanup } = await open();
      try {
        await test(store);
      } finally {
        await store.close();
        await cleanup();
      }
    };

    it(
      'delivers to every recipient and reads back the section F text, exactly',
      withStore(async (store) => {
        const outcomes = await store.deliver(incoming('Test', '2022-07-21 19:29:42.118132'), [
          'client2',
          'client3',
        ]);
        expect(outcomes.map((outcome) => [outcome.recipient, outcome.status])).toEqual([
          ['client2', 'delivered'],
          ['client3', 'delivered'],
        ]);
        for (const user of ['client2', 'client3']) {
          const text = await store.read(user, { index: 1 });
          expect(text).toBe(
            'From: client1\nTo: client2;client3\nTime and Date: 2022-07-21 19:29:42.118132\n' +
              'Title: Test\nContent Length: 12\nContent:\nbody of Test',
          );
        }
        expect(await store.list('client1')).toEqual([]);
      }),
    );

    it(
      'lists oldest first by receive time, with ids that read the same email',
      withStore(async (store) => {
        await store.deliver(incoming('second', '2022-01-02 00:00:00.000001'), ['client2']);
        await store.deliver(incoming('first', '2022-01-01 00:00:00'), ['client2']);
        await store.deliver(incoming('third', '2022-01-02 00:00:00.5'), ['client2']);
        const entries = await store.list('client2');
        expect(entries.map((entry) => entry.title)).toEqual(['first', 'second', 'third']);
        expect(entries.map((entry) => entry.from)).toEqual(['client1', 'client1', 'client1']);
        expect(entries[0]?.receivedAt).toBe('2022-01-01 00:00:00');
        expect(new Set(entries.map((entry) => entry.id)).size).toBe(3);
        for (const [i, entry] of entries.entries()) {
          const byId = await store.read('client2', { id: entry.id });
          expect(byId).toBe(await store.read('client2', { index: i + 1 }));
          expect(parseStoredEmail(byId ?? '').title).toBe(entry.title);
        }
      }),
    );

    it(
      'answers undefined for an index or id it does not have',
      withStore(async (store) => {
        await store.deliver(incoming('only', '2022-01-01 00:00:00'), ['client2']);
        expect(await store.read('client2', { index: 0 })).toBeUndefined();
        expect(await store.read('client2', { index: 2 })).toBeUndefined();
        expect(await store.read('client2', { id: 'no-such-id.txt' })).toBeUndefined();
        expect(await store.read('client3', { index: 1 })).toBeUndefined();
      }),
    );

    it(
      'keeps two emails of the same sender and title apart',
      withStore(async (store) => {
        await store.deliver(incoming('Same', '2022-01-01 00:00:01', 'one'), ['client2']);
        await store.deliver(incoming('Same', '2022-01-01 00:00:02', 'two'), ['client2']);
        const texts = await Promise.all([1, 2].map((index) => store.read('client2', { index })));
        expect(texts.map((text) => parseStoredEmail(text ?? '').content)).toEqual(['one', 'two']);
      }),
    );

    it(
      'removes one email by id, for good, and only from that inbox',
      withStore(async (store) => {
        await store.deliver(incoming('keep', '2022-01-01 00:00:01'), ['client2', 'client3']);
        await store.deliver(incoming('drop', '2022-01-01 00:00:02'), ['client2']);
        const drop = (await store.list('client2')).find((entry) => entry.title === 'drop');
        expect(drop).toBeDefined();
        expect(await store.remove('client2', drop?.id ?? '')).toBe(true);
        expect(await store.remove('client2', drop?.id ?? '')).toBe(false);
        expect((await store.list('client2')).map((entry) => entry.title)).toEqual(['keep']);
        expect((await store.list('client3')).map((entry) => entry.title)).toEqual(['keep']);
        expect(await store.read('client2', { id: drop?.id ?? '' })).toBeUndefined();
      }),
    );

    it(
      'stores a 1,000,000-character content with emoji whole',
      withStore(async (store) => {
        const content = '😀é\n'.repeat(333_333) + 'x';
        await store.deliver(incoming('big', '2022-01-01 00:00:00', content), ['client2']);
        const text = await store.read('client2', { index: 1 });
        expect(parseStoredEmail(text ?? '').content).toBe(content);
        expect(parseStoredEmail(text ?? '').contentLength).toBe(1_000_000);
      }),
    );

    it(
      'refuses a user it does not know, rather than make an inbox for any name',
      withStore(async (store) => {
        await expect(store.list('../client2')).rejects.toThrow();
        await expect(store.list('nobody')).rejects.toThrow();
      }),
    );

    it(
      'tells a watcher of a delivery and a removal, and stops telling once it stops watching',
      withStore(async (store) => {
        let changes = 0;
        let wake: () => void = () => undefined;
        const changed = (): Promise<void> =>
          new Promise((resolve) => {
            wake = resolve;
          });
        const stop = store.watch('client2', () => {
          changes++;
          wake();
        });
        let next = changed();
        await store.deliver(incoming('watched', '2022-01-01 00:00:00'), ['client2']);
        await next;
        const [entry] = await store.list('client2');
        next = changed();
        await store.remove('client2', entry?.id ?? '');
        await next;
        stop();
        const seen = changes;
        await store.deliver(incoming('unwatched', '2022-01-01 00:00:01'), ['client2']);
        // Another watcher, to know the store has had its chance to call the stopped one.
        await new Promise<void>((resolve) => {
          const other = store.watch('client2', () => {
            other();
            resolve();
          });
          void store.deliver(incoming('third', '2022-01-01 00:00:02'), ['client2']);
        });
        expect(changes).toBe(seen);
      }),
    );

    it(
      'refuses a copy that would take an inbox past its quota, and stores it for the others',
      withStore(async (store) => {
        await store.deliver(incoming('first', '2022-01-01 00:00:01', 'x'.repeat(600)), ['client2']);
        const outcomes = await store.deliver(
          incoming('second', '2022-01-01 00:00:02', 'y'.repeat(600)),
          ['client2', 'client3'],
          { maxInboxBytes: 1000 },
        );
        expect(outcomes.map((outcome) => [outcome.recipient, outcome.status])).toEqual([
          ['client2', 'overQuota'],
          ['client3', 'delivered'],
        ]);
        expect((await store.list('client2')).map((entry) => entry.title)).toEqual(['first']);
        expect((await store.list('client3')).map((entry) => entry.title)).toEqual(['second']);
      }),
    );
    it(
      'stores an email once per (sender, send id): a retry gets the first outcomes and stores nothing',
      withStore(async (store) => {
        const key = {
          sender: 'client1',
          sendId: newSendId(),
          named: ['client2', 'nobody', 'client3'],
        };
        const first = await store.deliverOnce(
          incoming('once', '2022-01-01 00:00:01'),
          ['client2', 'client3'],
          {},
          key,
        );
        expect(first.replayed).toBe(false);
        expect(first.named).toEqual(['client2', 'nobody', 'client3']);
        expect(first.outcomes.map((outcome) => [outcome.recipient, outcome.status])).toEqual([
          ['client2', 'delivered'],
          ['client3', 'delivered'],
        ]);
        // The retry: a later receive time, the same id, even another list of names.
        const again = await store.deliverOnce(
          incoming('once', '2022-01-01 00:00:05'),
          ['client2', 'client3'],
          {},
          { ...key, named: ['client2', 'client3'] },
        );
        expect(again).toEqual({ ...first, replayed: true });
        for (const user of ['client2', 'client3'])
          expect((await store.list(user)).map((entry) => entry.receivedAt)).toEqual([
            '2022-01-01 00:00:01',
          ]);
        // Two at once with one id: one stores, the other is answered with its outcomes.
        const both = await Promise.all(
          [1, 2].map((second) =>
            store.deliverOnce(
              incoming('twice', `2022-01-01 00:00:1${second}`),
              ['client2'],
              {},
              {
                sender: 'client1',
                sendId: key.sendId.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
                named: ['client2'],
              },
            ),
          ),
        );
        expect(both.map((delivery) => delivery.replayed).sort()).toEqual([false, true]);
        expect(both[0]?.outcomes).toEqual(both[1]?.outcomes);
        expect((await store.list('client2')).map((entry) => entry.title)).toEqual([
          'once',
          'twice',
        ]);
      }),
    );

    it(
      'keeps send ids apart by sender and by id, and records a refusal for the quota too',
      withStore(async (store) => {
        const sendId = newSendId();
        const mail = (from: string, receivedAt: string): IncomingEmail => ({
          ...incoming('same id', receivedAt, 'z'.repeat(600)),
          email: { from, to: ['client3'], title: 'same id', content: 'z'.repeat(600) },
        });
        const limits = { maxInboxBytes: 1000 };
        const a = await store.deliverOnce(
          mail('client1', '2022-01-01 00:00:01'),
          ['client3'],
          limits,
          {
            sender: 'client1',
            sendId,
            named: ['client3'],
          },
        );
        const b = await store.deliverOnce(
          mail('client2', '2022-01-01 00:00:02'),
          ['client3'],
          limits,
          {
            sender: 'client2',
            sendId,
            named: ['client3'],
          },
        );
        expect([a.replayed, b.replayed]).toEqual([false, false]);
        expect(a.outcomes[0]?.status).toBe('delivered');
        expect(b.outcomes[0]?.status).toBe('overQuota');
        const retried = await store.deliverOnce(
          mail('client2', '2022-01-01 00:00:03'),
          ['client3'],
          {},
          { sender: 'client2', sendId, named: ['client3'] },
        );
        expect(retried).toEqual({ ...b, replayed: true });
        const other = await store.deliverOnce(
          mail('client1', '2022-01-01 00:00:04'),
          ['client3'],
          {},
          {
            sender: 'client1',
            sendId: newSendId(),
            named: ['client3'],
          },
        );
        expect(other.replayed).toBe(false);
        expect((await store.list('client3')).map((entry) => entry.from)).toEqual([
          'client1',
          'client1',
        ]);
      }),
    );
  });
}
