/**
 * The seed-files store's index: a cache of the listing that the folder always overrules, whoever
 * changed the folder (another program, another server process, a process that died between
 * its link and its journal line), and however its own files were left.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { emailId, SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { writeEmailFile } from '../../mail-server/store/seed-files-email.js';
import { readJournalSizes } from '../../mail-server/store/seed-files-journal.js';
import { InboxUsage } from '../../mail-server/store/seed-files-usage.js';
import type { MailboxEntry } from '../../mail-server/store/mail-store.js';
import { formatStoredEmail } from '../../protocol/email.js';
import { distPath } from '../helpers/processes.js';

const USERS = ['client1', 'client2'];
let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sealed-mail-index-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const inbox = (): string => join(home, 'client2');
const indexFile = (name: string): string => join(home, '.index', name);

const stored = (title: string, receivedAt: string): string =>
  formatStoredEmail(
    { from: 'client1', to: ['client2'], title, content: `body of ${title}` },
    receivedAt,
  );

const at = (second: number): string => `2024-01-01 00:00:${String(second).padStart(2, '0')}.000000`;

/** Delivers `title` to client2; the outcome's status. */
async function deliveryStatus(
  store: SeedFilesStore,
  title: string,
  second: number,
  maxInboxBytes?: number,
): Promise<string> {
  const content = `body of ${title}`;
  const [outcome] = await store.deliver(
    {
      email: { from: 'client1', to: ['client2'], title, content },
      contentLength: content.length,
      receivedAt: at(second),
    },
    ['client2'],
    maxInboxBytes === undefined ? {} : { maxInboxBytes },
  );
  return outcome?.status ?? 'none';
}

async function deliver(store: SeedFilesStore, title: string, second: number): Promise<void> {
  expect(await deliveryStatus(store, title, second)).toBe('delivered');
}

const titles = (listing: MailboxEntry[]): string[] => listing.map((entry) => entry.title);

/** What the quota counts, from the files themselves. */
const filesBytes = (): number =>
  readdirSync(inbox())
    .filter((name) => name.endsWith('.txt'))
    .reduce((sum, name) => sum + statSync(join(inbox(), name)).size, 0);

/** What a process that has never seen the inbox or its index lists: the files themselves. */
async function listedFromFiles(): Promise<MailboxEntry[]> {
  rmSync(join(home, '.index'), { recursive: true, force: true });
  const fresh = new SeedFilesStore(home, USERS);
  return fresh.list('client2');
}

describe('seed-files index', () => {
  it('keeps the inbox folder to emails, and lists a later process from the index', async () => {
    const store = new SeedFilesStore(home, USERS);
    for (let i = 0; i < 5; i++) await deliver(store, `email ${i}`, i);
    expect(titles(await store.list('client2'))).toEqual([
      'email 0',
      'email 1',
      'email 2',
      'email 3',
      'email 4',
    ]);
    expect(readdirSync(inbox()).every((name) => name.endsWith('.txt'))).toBe(true);

    const later = new SeedFilesStore(home, USERS);
    const listing = await later.list('client2');
    expect(listing).toEqual(await store.list('client2'));
    for (const entry of listing)
      expect(entry.id).toBe(emailId(`client1_${entry.title}.txt`, entry.receivedAt));
  });

  it('builds a missing index from the files, and the same listing as the files give', async () => {
    mkdirSync(inbox());
    for (let i = 0; i < 4; i++)
      writeEmailFile(inbox(), `client1_old ${i}`, stored(`old ${i}`, at(10 - i)));
    const store = new SeedFilesStore(home, USERS);
    expect(titles(await store.list('client2'))).toEqual(['old 3', 'old 2', 'old 1', 'old 0']);
    expect(readdirSync(join(home, '.index'))).toContain('client2.index');
    expect(await new SeedFilesStore(home, USERS).list('client2')).toEqual(await listedFromFiles());
  });

  it('sees files that another program added or removed behind its back', async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'kept', 1);
    await deliver(store, 'removed elsewhere', 2);
    expect(titles(await store.list('client2'))).toHaveLength(2);
    unlinkSync(join(inbox(), 'client1_removed elsewhere.txt'));
    writeFileSync(join(inbox(), 'client1_added elsewhere.txt'), stored('added elsewhere', at(3)));
    expect(titles(await store.list('client2'))).toEqual(['kept', 'added elsewhere']);
    expect(await store.read('client2', { index: 2 })).toBe(stored('added elsewhere', at(3)));
    expect(await new SeedFilesStore(home, USERS).list('client2')).toEqual(await listedFromFiles());
  });

  it('lists an email whose process died between linking its file and writing its journal line', async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'first', 1);
    await store.list('client2');
    // The file is linked as a delivery links it; the index never hears of it.
    writeEmailFile(inbox(), 'client1_orphan', stored('orphan', at(2)));
    expect(titles(await store.list('client2'))).toEqual(['first', 'orphan']);
    expect(titles(await new SeedFilesStore(home, USERS).list('client2'))).toEqual([
      'first',
      'orphan',
    ]);
  });

  it('skips journal lines cut short, garbage and rows whose file is gone; a broken snapshot is rebuilt', async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'real', 1);
    appendFileSync(
      indexFile('client2.journal'),
      '+["client1_ghost.txt","client1","2024-01-01 00:00:05","ghost","x"]\n',
    );
    appendFileSync(indexFile('client2.journal'), 'nonsense\n+["cut short');
    expect(titles(await new SeedFilesStore(home, USERS).list('client2'))).toEqual(['real']);

    writeFileSync(indexFile('client2.index'), '{"version":2,"rows":');
    await deliver(store, 'after', 2);
    expect(titles(await new SeedFilesStore(home, USERS).list('client2'))).toEqual([
      'real',
      'after',
    ]);
  });

  it('forgets a removed email, and a file of the same name delivered later is a new email', async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'same', 1);
    const [first] = await store.list('client2');
    expect(await store.remove('client2', first?.id ?? '')).toBe(true);
    await deliver(store, 'same', 2);
    const listing = await new SeedFilesStore(home, USERS).list('client2');
    expect(listing.map((entry) => entry.receivedAt)).toEqual([at(2)]);
    expect(listing[0]?.id).not.toBe(first?.id);
    expect(await store.read('client2', { id: first?.id ?? '' })).toBeUndefined();
  });

  it('stays exact under concurrent deliveries from several processes', async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'before', 0);
    await store.list('client2');
    const storeModule = distPath('mail-server/store/seed-files-store.js');
    const deliverer = (process: number): Promise<unknown> =>
      promisify(execFile)('node', [
        '--input-type=module',
        '-e',
        `const { SeedFilesStore } = await import(${JSON.stringify(storeModule)});
         const store = new SeedFilesStore(${JSON.stringify(home)}, ['client1', 'client2']);
         for (let i = 0; i < 25; i++) {
           const title = 'p${process} ' + i;
           await store.deliver({ email: { from: 'client1', to: ['client2'], title, content: title },
             contentLength: title.length, receivedAt: '2024-01-02 00:00:' + String(i).padStart(2, '0') + '.00000${process}' }, ['client2']);
           if (i % 5 === 0) await store.list('client2');
         }`,
      ]);
    // Four processes deliver while this one lists.
    const running = Promise.all([0, 1, 2, 3].map(deliverer));
    const finished = { now: false };
    void running.finally(() => {
      finished.now = true;
    });
    let listings = 0;
    while (!finished.now) {
      await store.list('client2');
      listings++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await running;
    expect(listings).toBeGreaterThan(0);
    const files = readdirSync(inbox()).filter((name) => name.endsWith('.txt'));
    expect(files).toHaveLength(101);
    // A process that only delivers counts what the files hold, from the index files' sizes.
    expect(new InboxUsage(join(home, '.index'), 'client2').storedBytes()).toBe(filesBytes());
    const fromFiles = await listedFromFiles();
    expect(await store.list('client2')).toEqual(fromFiles);
    expect(fromFiles).toHaveLength(101);
  });

  it('counts the quota from the index, and counts files another program added or removed', async () => {
    const store = new SeedFilesStore(home, USERS);
    const quota = (title: string, second: number, maxInboxBytes: number): Promise<string> =>
      deliveryStatus(store, title, second, maxInboxBytes);
    const one = Buffer.byteLength(stored('email 0', at(0)));
    expect(await quota('email 0', 0, 2 * one)).toBe('delivered');
    expect(await quota('email 1', 1, 2 * one)).toBe('delivered');
    expect(await quota('email 2', 2, 2 * one)).toBe('overQuota');
    // A big file dropped in by another program, and an old snapshot without sizes (version 2).
    writeFileSync(join(inbox(), 'client1_big.txt'), stored('big', at(3)) + 'z'.repeat(5000));
    writeFileSync(
      indexFile('client2.index'),
      '{"version":2,"journal":{"ino":1,"size":0},"rows":[]}',
    );
    // Counted from the next listing on: a delivery itself does not read the folder.
    await store.list('client2');
    expect(await quota('email 2', 2, 3 * one)).toBe('overQuota');
    unlinkSync(join(inbox(), 'client1_big.txt'));
    unlinkSync(join(inbox(), 'client1_email 0.txt'));
    await store.list('client2');
    expect(await quota('email 2', 2, 2 * one)).toBe('delivered');
    expect(titles(await store.list('client2'))).toEqual(['email 1', 'email 2']);
    // A process that has never seen the inbox counts the same sizes.
    const fresh = new SeedFilesStore(home, USERS);
    expect(await deliveryStatus(fresh, 'x', 9, 2 * one + 10)).toBe('overQuota');
  });

  it("counts the quota of an inbox it only delivers into from the index files, through other processes' changes", async () => {
    // `recipient` lists the inbox (as the recipient's session); `sender` only delivers into it.
    const recipient = new SeedFilesStore(home, USERS);
    const sender = new SeedFilesStore(home, USERS);
    const one = Buffer.byteLength(stored('email 0', at(0)));
    await deliver(recipient, 'email 0', 0);
    await recipient.list('client2');
    expect(await deliveryStatus(sender, 'email 1', 1, 3 * one)).toBe('delivered');
    await deliver(recipient, 'email 2', 2);
    expect(await deliveryStatus(sender, 'email 3', 3, 3 * one)).toBe('overQuota');
    // A removal's line says its size: room again for the sender, with no listing between.
    const [first] = await recipient.list('client2');
    expect(await recipient.remove('client2', first?.id ?? '')).toBe(true);
    expect(await deliveryStatus(sender, 'email 3', 3, 3 * one)).toBe('delivered');
    expect(titles(await recipient.list('client2'))).toEqual(['email 1', 'email 2', 'email 3']);
    expect(new InboxUsage(join(home, '.index'), 'client2').storedBytes()).toBe(filesBytes());

    // A removal line of the older form (no size): counted with the whole index, still right.
    const [second] = await recipient.list('client2');
    unlinkSync(join(inbox(), 'client1_email 1.txt'));
    appendFileSync(indexFile('client2.journal'), `-${JSON.stringify(['client1_email 1.txt'])}\n`);
    expect(second?.title).toBe('email 1');
    expect(new InboxUsage(join(home, '.index'), 'client2').storedBytes()).toBeUndefined();
    expect(await deliveryStatus(sender, 'email 4', 4, 3 * one)).toBe('delivered');
    expect(await deliveryStatus(sender, 'email 5', 5, 3 * one)).toBe('overQuota');
  });

  it("counts from the snapshot's first bytes, not its rows; a snapshot without them is rebuilt at the next listing", async () => {
    const store = new SeedFilesStore(home, USERS);
    await deliver(store, 'email 0', 0);
    await store.list('client2');
    const one = Buffer.byteLength(stored('email 0', at(0)));
    const snapshot = readFileSync(indexFile('client2.index'), 'utf8');
    expect(snapshot).toMatch(
      new RegExp(`^\\{"version":4,"journal":\\{"ino":\\d+,"size":\\d+\\},"bytes":${one},`),
    );
    // The first bytes claim far more than the rows hold: a sender believes them.
    writeFileSync(
      indexFile('client2.index'),
      snapshot.replace(`"bytes":${one},`, `"bytes":${10 * one},`),
    );
    expect(await deliveryStatus(new SeedFilesStore(home, USERS), 'x', 1, 5 * one)).toBe(
      'overQuota',
    );
    // A snapshot of version 3 (no total): senders count with the whole index until a listing
    // writes version 4.
    writeFileSync(
      indexFile('client2.index'),
      snapshot.replace(`{"version":4,`, '{"version":3,').replace(`"bytes":${one},`, ''),
    );
    expect(new InboxUsage(join(home, '.index'), 'client2').storedBytes()).toBeUndefined();
    expect(await deliveryStatus(new SeedFilesStore(home, USERS), 'email 1', 1, 2 * one)).toBe(
      'delivered',
    );
    expect(titles(await new SeedFilesStore(home, USERS).list('client2'))).toEqual([
      'email 0',
      'email 1',
    ]);
    expect(readFileSync(indexFile('client2.index'), 'utf8')).toMatch(/^\{"version":4,/);
    expect(new InboxUsage(join(home, '.index'), 'client2').storedBytes()).toBe(filesBytes());
  });
});

describe('journal sizes', () => {
  const journal = (): string => join(home, 'sizes.journal');
  const row = (title: string, bytes: number): unknown[] => [
    `client1_${title}.txt`,
    'client1',
    at(1),
    title,
    `id-${title}`,
    bytes,
  ];

  it('sums what whole lines add and take away, read from their ends', () => {
    // A title may hold anything JSON can: the size is read from the line's end.
    const tricky = 'a","b",99,"7"]';
    writeFileSync(
      journal(),
      [
        `+${JSON.stringify([...row('one', 100), '1700000000000000000'])}`,
        `+${JSON.stringify(row(tricky, 40))}`,
        `-${JSON.stringify(['client1_one.txt', '1700000000000000001', 100])}`,
        '',
        `+${JSON.stringify(row('cut', 5))}`.slice(0, 20),
      ].join('\n'),
    );
    const read = readJournalSizes(journal(), 0);
    expect(read?.sum).toBe(40);
    // The last line has no end yet: not counted, and read again next time.
    const size = statSync(journal()).size;
    expect(read?.end).toBe(size - 20);
    expect(readJournalSizes(journal(), read?.end ?? 0)).toMatchObject({ sum: 0, end: size - 20 });
    expect(readJournalSizes(join(home, 'none.journal'), 0)).toBeUndefined();
  });

  it('cannot tell when a line does not say its size', () => {
    for (const line of [
      `-${JSON.stringify('client1_one.txt')}`,
      `-${JSON.stringify(['client1_one.txt', '1700000000000000001'])}`,
      'nonsense',
      `+${JSON.stringify([...row('one', 100).slice(0, 5), '100'])}`,
      `+${JSON.stringify(row('huge', 1)).replace(',1]', ',1234567890123456]')}`,
    ]) {
      writeFileSync(journal(), `+${JSON.stringify(row('one', 100))}\n${line}\n`);
      expect(readJournalSizes(journal(), 0)?.sum, line).toBeUndefined();
    }
  });
});
