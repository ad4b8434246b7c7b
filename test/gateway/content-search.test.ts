/**
 * The content search through the built gateway, its session children and a real enhanced mail
 * server: the child indexes every email in the background (sealed ones opened with the user's
 * key), a search finds words inside plain and sealed emails, the index is sealed at rest and
 * kept across sessions with each email's mark (shown on the first listing of the next session,
 * before anything is opened), a deleted email leaves it, a title the server changes after
 * indexing does not keep the verified mark, and the browser's requests are answered while the
 * indexer reads. Timings on 10,000 emails are printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InboxItem, Reply } from '../../gateway/messages.js';
import { formatStoredEmail } from '../../protocol/email.js';
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

const USERS = ['client1', 'client2', 'client3', 'client4'];
const BIG = 'client4';
const BIG_SIZE = 10_000;
let keys: { dir: string; cleanup: () => void };
let web: { dir: string; cleanup: () => void };
let data: string;
let enhanced: RunningServer;
let classic: RunningServer;
let gateway: RunningGateway;
const tabs: Browser[] = [];

/** Email files written straight into an inbox, as the server stores them. */
function plant(
  user: string,
  name: string,
  email: { from: string; title: string; content: string },
  receivedAt: string,
): void {
  writeFileSync(
    join(inboxOf(keys.dir, user), name),
    formatStoredEmail({ ...email, to: [user] }, receivedAt),
    { mode: 0o600 },
  );
}

beforeAll(async () => {
  keys = await makeKeySetup(USERS);
  web = makeWebRoot();
  data = mkdtempSync(join(tmpdir(), 'content-search-data-'));
  const start = Date.UTC(2024, 0, 1, 9);
  for (let i = 0; i < BIG_SIZE; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    plant(
      BIG,
      `n${i}.txt`,
      {
        from: ['client1', 'client2', 'client3'][i % 3] ?? 'client1',
        title: `Report ${i}`,
        content: `Row ${i} of the ledger, figures for week ${i % 52}${i === 7777 ? ', the quarterly close' : ''}.`,
      },
      `${at.slice(0, 10)} ${at.slice(11, 19)}.000001`,
    );
  }
  enhanced = await startMailServer(serverHome(keys.dir), [], 'mail-server/main-enhanced.js');
  classic = await startMailServer(serverHome(keys.dir));
  gateway = await startGatewayProcess([
    '--keys',
    keys.dir,
    '--server',
    `127.0.0.1:${enhanced.port}`,
    '--enhanced-server',
    `127.0.0.1:${enhanced.port}`,
    '--web-root',
    web.dir,
    '--data',
    data,
    '--poll',
    '0',
  ]);
}, 120_000);
afterEach(async () => {
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
});
afterAll(async () => {
  await gateway.stop();
  await enhanced.stop();
  await classic.stop();
  rmSync(data, { recursive: true, force: true });
  web.cleanup();
  keys.cleanup();
});

async function signIn(
  username: string,
  protocol: 'enhanced' | 'classic' = 'enhanced',
): Promise<Browser> {
  // A browser of its own each (its own cookie, so its own session).
  const tab = await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
  tabs.push(tab);
  const reply = await tab.request({
    type: 'signIn',
    server: protocol === 'classic' ? `127.0.0.1:${classic.port}` : '',
    username,
    password: `password${username.slice(-1)}`,
    protocol,
  });
  if (reply.type !== 'signedIn') throw new Error(`not signed in: ${JSON.stringify(reply)}`);
  return tab;
}

async function list(tab: Browser): Promise<InboxItem[]> {
  const reply = await tab.request({ type: 'listInbox' });
  if (reply.type !== 'inbox') throw new Error(JSON.stringify(reply));
  return reply.items;
}

/** Until the child says every listed email is indexed. */
async function indexed(tab: Browser, timeoutMs = 60_000): Promise<void> {
  await tab.next(
    (reply) => reply.type === 'indexProgress' && reply.indexed === reply.total,
    timeoutMs,
  );
}

async function search(tab: Browser, query: string): Promise<Of<'searchResults'>> {
  const reply = await tab.request({ type: 'search', query });
  if (reply.type !== 'searchResults') throw new Error(JSON.stringify(reply));
  return reply;
}

const titleOf = (items: InboxItem[], found: Of<'searchResults'>): string[] =>
  found.emails.map((email) => items.find((item) => item.id === email.id)?.title ?? '?').sort();

describe('content search in the session child', () => {
  it('finds words inside plain and sealed emails, keeps marks across sessions, forgets deleted mail', async () => {
    const bob = await signIn('client2');
    const sent = await bob.request({
      type: 'send',
      to: ['client1'],
      title: 'Numbers',
      content: 'The Quarterly figures are attached; the café budget too.',
    });
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    plant(
      'client1',
      'plain.txt',
      {
        from: 'client3',
        title: 'Planning',
        content: 'Quarterly planning, part two. Nothing sealed here.',
      },
      '2026-12-01 09:00:00.000001',
    );
    // Stored as the server keeps it: sealed, no word of it readable on the server.
    const stored = readdirSync(inboxOf(keys.dir, 'client1')).filter((name) => name !== 'plain.txt');
    expect(stored).toHaveLength(1);
    const sealedFile = join(inboxOf(keys.dir, 'client1'), stored[0] ?? '');
    expect(readFileSync(sealedFile, 'utf8')).not.toMatch(/quarterly/i);

    const alice = await signIn('client1');
    const items = await list(alice);
    await indexed(alice);
    const quarterly = await search(alice, 'quarterly');
    expect(titleOf(items, quarterly)).toEqual(['Numbers', 'Planning']);
    expect(quarterly).toMatchObject({ indexed: 2, total: 2 });
    // Prefixes, case and accents folded, every word required.
    expect(titleOf(items, await search(alice, 'QUART cafe'))).toEqual(['Numbers']);
    expect(titleOf(items, await search(alice, 'planning'))).toEqual(['Planning']);
    expect((await search(alice, 'quarterly missing')).emails).toEqual([]);

    // The listing now carries what the child found opening each one.
    const marked = await list(alice);
    expect(marked.find((item) => item.title === 'Numbers')?.security).toMatchObject({
      kind: 'sealed',
      signer: 'client2',
    });
    expect(marked.find((item) => item.title === 'Planning')?.security).toMatchObject({
      kind: 'plain',
      sender: 'client3',
    });

    // Sealed at rest, in the user's folder of the data folder.
    const folder = join(data, 'client1');
    const [indexFile] = readdirSync(folder).filter((name) => name.startsWith('search-'));
    const bytes = readFileSync(join(folder, indexFile ?? ''));
    for (const word of ['quarterly', 'Quarterly', 'figures', 'Numbers', 'client2', 'sealed'])
      expect(bytes.includes(Buffer.from(word))).toBe(false);

    // The next session gives the rows their marks from the sealed file, before anything is
    // opened: with the progress that follows its first listing (the file is read after it).
    await alice.request({ type: 'signOut' });
    const again = await signIn('client1');
    const first = await list(again);
    const restored = await again.next<Of<'indexProgress'>>(
      (reply) => reply.type === 'indexProgress' && (reply.marks?.length ?? 0) > 0,
    );
    const markOf = (title: string) =>
      restored.marks?.find((mark) => mark.id === first.find((item) => item.title === title)?.id)
        ?.security;
    expect(markOf('Numbers')).toMatchObject({ kind: 'sealed', signer: 'client2' });
    expect(markOf('Planning')?.kind).toBe('plain');
    expect(restored).toMatchObject({ indexed: 2, total: 2 });
    expect(titleOf(first, await search(again, 'figures'))).toEqual(['Numbers']);
    // And the listings after carry them.
    expect((await list(again)).find((item) => item.title === 'Numbers')?.security?.kind).toBe(
      'sealed',
    );

    // The server changes the stored title: the row is not the one opened, so it shows no mark
    // until the child opens it again, and then the change is caught.
    const text = readFileSync(sealedFile, 'utf8');
    // (under a new name: the store notices no file replaced in place, docs/STORE.md)
    writeFileSync(
      `${sealedFile}.2.txt`,
      text.replace('Title: Numbers\n', 'Title: Numbers (final)\n'),
    );
    unlinkSync(sealedFile);
    await again.request({ type: 'signOut' });
    const third = await signIn('client1');
    const changed = await list(third);
    expect(changed.find((item) => item.title === 'Numbers (final)')?.security).toEqual({
      kind: 'unopened',
    });
    await indexed(third);
    const reopened = await list(third);
    expect(reopened.find((item) => item.title === 'Numbers (final)')?.security).toMatchObject({
      kind: 'sealedNotVerified',
      problem: 'ENVELOPE_ALTERED',
    });

    // A deleted email leaves the index.
    const planning = reopened.find((item) => item.title === 'Planning');
    await third.request({ type: 'delete', emailId: planning?.id ?? '' });
    expect(titleOf(reopened, await search(third, 'quarterly'))).toEqual(['Numbers (final)']);
  }, 120_000);

  it('indexes on the classic protocol too, reading by index, sealed emails opened with the key', async () => {
    const bob = await signIn('client2');
    const sent = await bob.request({
      type: 'send',
      to: ['client1'],
      title: 'Budget',
      content: 'The zeppelin budget, sealed.',
    });
    expect(sent).toMatchObject({ type: 'sent', sealed: { withoutKey: [] } });
    const dora = await signIn('client1', 'classic');
    const items = await list(dora);
    await indexed(dora);
    const found = await search(dora, 'ZEPPELIN bud');
    // Rows without ids are named by index.
    expect(found.emails.map((email) => items[email.index - 1]?.title)).toEqual(['Budget']);
    expect(found.emails[0]?.id).toBeUndefined();
    expect((await list(dora)).find((item) => item.title === 'Budget')?.security).toMatchObject({
      kind: 'sealed',
      signer: 'client2',
    });
  }, 60_000);

  it('records its openings oldest first: of an original and a later copy, both unopened, the copy is the copy', async () => {
    const bob = await signIn('client2');
    await bob.request({ type: 'send', to: ['client3'], title: 'Meeting', content: 'Room 4.' });
    const folder = inboxOf(keys.dir, 'client3');
    const [original] = readdirSync(folder);
    // The operator stores it again, byte for byte, under a name listed after it.
    writeFileSync(join(folder, 'zz-copy.txt'), readFileSync(join(folder, original ?? ''), 'utf8'));
    const carol = await signIn('client3');
    const items = await list(carol);
    expect(items.map((item) => item.title)).toEqual(['Meeting', 'Meeting']);
    await indexed(carol);
    const read = async (item: InboxItem | undefined) => {
      const reply = await carol.request({
        type: 'read',
        index: item?.index ?? 0,
        emailId: item?.id ?? '',
      });
      if (reply.type !== 'email') throw new Error(JSON.stringify(reply));
      return reply.email;
    };
    // Read the copy first: the indexer (newest first) opened it first too, yet it is the copy.
    expect((await read(items[1])).sealed?.copyOf).toBeDefined();
    expect((await read(items[0])).sealed?.copyOf).toBeUndefined();
  }, 60_000);

  it(`indexes ${BIG_SIZE.toLocaleString('en')} emails in the background, answers the browser meanwhile, and searches them fast`, async () => {
    const started = performance.now();
    const tab = await signIn(BIG);
    const items = await list(tab);
    expect(items).toHaveLength(BIG_SIZE);
    // The browser's own requests are answered while the indexer reads.
    const progress = await tab.next<Of<'indexProgress'>>(
      (reply) =>
        reply.type === 'indexProgress' && reply.indexed > 100 && reply.indexed < reply.total,
      60_000,
    );
    const before = performance.now();
    const read = await tab.request({ type: 'read', index: 1, emailId: items[0]?.id ?? '' });
    const readMs = performance.now() - before;
    expect(read.type).toBe('email');
    expect(readMs).toBeLessThan(1000);
    expect(progress.total).toBe(BIG_SIZE);
    // A second session of the user, signed out while its indexer reads: it leaves at once.
    const other = await signIn(BIG);
    await list(other);
    await other.next((reply) => reply.type === 'indexProgress' && reply.indexed > 0, 60_000);
    const leaving = performance.now();
    expect(await other.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
    const signOutMs = performance.now() - leaving;
    expect(signOutMs).toBeLessThan(2000);
    await indexed(tab, 600_000);
    const indexingMs = performance.now() - started;
    const timings: number[] = [];
    let found: Of<'searchResults'> | undefined;
    for (let i = 0; i < 10; i++) {
      const at = performance.now();
      found = await search(tab, i % 2 === 0 ? 'quarterly' : 'ledger figures');
      timings.push(performance.now() - at);
    }
    const quarterly = await search(tab, 'quarterly');
    expect(titleOf(items, quarterly)).toEqual(['Report 7777']);
    expect(found?.emails).toHaveLength(BIG_SIZE);
    timings.sort((a, b) => a - b);
    const worst = timings.at(-1) ?? 0;
    process.stdout.write(
      `content search, ${BIG_SIZE} emails: indexed in ${(indexingMs / 1000).toFixed(1)} s; a read during indexing ${readMs.toFixed(0)} ms; sign-out during indexing ${signOutMs.toFixed(0)} ms; search round trip median ${(timings[5] ?? 0).toFixed(1)} ms, worst ${worst.toFixed(1)} ms (of 10; half of them matching all ${BIG_SIZE})\n`,
    );
    expect(worst).toBeLessThan(300);
  }, 700_000);
});
