/**
 * The seed-files store's send ids across a crash (seed-files-sends.ts): a claim left by a process
 * that died after storing copies and before recording them is completed from the inboxes,
 * never stored a second time; one that stored nothing lets the retry store the email; one of
 * a process still storing is waited for.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SEND_RECORDS, type IncomingEmail } from '../../mail-server/store/mail-store.js';
import { SendBook } from '../../mail-server/store/seed-files-sends.js';
import { SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { newSendId } from '../../protocol/operations/send-id.js';

const USERS = ['client1', 'client2', 'client3'];
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function fresh(): { home: string; store: SeedFilesStore; book: SendBook } {
  const home = mkdtempSync(join(tmpdir(), 'sealed-mail-sends-'));
  homes.push(home);
  return {
    home,
    store: new SeedFilesStore(home, USERS),
    book: new SendBook((sender) => {
      const folder = join(home, '.sends', sender);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      return folder;
    }),
  };
}

/** The id of a process that has ended. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid;

const first: IncomingEmail = {
  email: { from: 'client1', to: ['client2', 'client3'], title: 'Quarterly', content: 'numbers' },
  contentLength: 7,
  receivedAt: '2026-12-07 10:00:00.123456',
};
const retry: IncomingEmail = { ...first, receivedAt: '2026-12-07 10:00:09.654321' };
const key = (sendId: string) => ({ sender: 'client1', sendId, named: ['client2', 'client3'] });
const claimOf = (pid: number, recipients: string[]) => ({
  pid,
  from: 'client1',
  title: 'Quarterly',
  receivedAt: first.receivedAt,
  recipients,
  named: ['client2', 'client3'],
});
const files = (home: string, user: string): string[] =>
  readdirSync(join(home, user)).filter((name) => !name.startsWith('.'));

describe('seed-files send ids across a crash', () => {
  it('a claim whose process died after storing one copy: the retry stores nothing and reports what is there', async () => {
    const { home, store, book } = fresh();
    const sendId = newSendId();
    // The dead process had claimed the id and linked client2's copy, then died.
    await store.list('client1');
    expect(book.claim('client1', sendId, claimOf(deadPid(), ['client2', 'client3']))).toBe(true);
    const [stored] = await store.deliver(first, ['client2']);
    const answer = await store.deliverOnce(retry, ['client2', 'client3'], {}, key(sendId));
    expect(answer.replayed).toBe(true);
    expect(answer.outcomes).toEqual([
      {
        recipient: 'client2',
        status: 'delivered',
        id: stored?.status === 'delivered' ? stored.id : '',
      },
      { recipient: 'client3', status: 'failed', reason: 'the server stopped before storing it' },
    ]);
    expect(files(home, 'client2')).toHaveLength(1);
    expect(files(home, 'client3')).toHaveLength(0);
    // Completed once: the record now answers by itself.
    expect(book.read('client1', sendId)?.outcomes).toEqual(answer.outcomes);
    expect(await store.deliverOnce(retry, ['client2', 'client3'], {}, key(sendId))).toEqual(answer);
  });

  it('a claim whose process died before storing any copy: the retry stores the email', async () => {
    const { home, store, book } = fresh();
    const sendId = newSendId();
    book.claim('client1', sendId, claimOf(deadPid(), ['client2', 'client3']));
    const answer = await store.deliverOnce(retry, ['client2', 'client3'], {}, key(sendId));
    expect(answer.replayed).toBe(false);
    expect(answer.outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
    expect(files(home, 'client2')).toHaveLength(1);
    expect(files(home, 'client3')).toHaveLength(1);
  });

  it('a claim of a process still storing is waited for, and its record answers', async () => {
    const { home, store, book } = fresh();
    const sendId = newSendId();
    // The parent of this test runner runs: it stands for another session process storing it.
    const claim = claimOf(process.ppid, ['client2']);
    book.claim('client1', sendId, claim);
    const answered = store.deliverOnce(retry, ['client2'], {}, key(sendId));
    const outcomes = [
      { recipient: 'client2', status: 'delivered' as const, id: 'stored-by-the-other' },
    ];
    book.complete('client1', sendId, { ...claim, outcomes });
    expect(await answered).toEqual({ outcomes, named: ['client2', 'client3'], replayed: true });
    expect(files(home, 'client2')).toHaveLength(0);
  });

  it('keeps a sender’s newest send ids: pruned to the bound once it is passed by a tenth', () => {
    const { home, book } = fresh();
    const folder = join(home, '.sends', 'client1');
    book.claim('client1', newSendId(), claimOf(process.pid, ['client2']));
    const total = MAX_SEND_RECORDS + MAX_SEND_RECORDS / 10 + 1;
    const names = Array.from({ length: total }, (_, i) => `old${String(i).padStart(5, '0')}.json`);
    names.forEach((name, i) => {
      writeFileSync(join(folder, name), '{}');
      // Oldest first, a second apart.
      utimesSync(join(folder, name), 1_000_000 + i, 1_000_000 + i);
    });
    book.prune('client1');
    const kept = readdirSync(folder).sort();
    expect(kept).toHaveLength(MAX_SEND_RECORDS);
    // The newest stay: the claim just made, and the newest of the others.
    expect(kept.filter((name) => name.startsWith('old'))).toEqual(
      names.slice(-(MAX_SEND_RECORDS - 1)),
    );
  });
});
