/** The safe-file policy off the event loop: new files under a free name, shared folder fsyncs. */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FolderSyncs,
  linkNewFileUnderFreeName,
  removeTempFilesOf,
} from '../../common/safe-files-async.js';
import { tempFilePrefix } from '../../common/safe-files.js';

const dirs: string[] = [];
const folder = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-safe-async-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const nameFor = (copy: number): string => (copy === 1 ? 'mail.txt' : `mail (${copy}).txt`);

describe('safe files, off the event loop', () => {
  it('links a whole new file under the first free name, its temporary file elsewhere and gone', async () => {
    const inbox = folder();
    const incoming = join(inbox, '..', `${inbox.split('/').at(-1) ?? ''}-incoming`);
    mkdirSync(incoming);
    dirs.push(incoming);
    writeFileSync(join(inbox, 'mail.txt'), 'already here');
    const names = await Promise.all(
      ['one', 'two'].map((text) => linkNewFileUnderFreeName(inbox, nameFor, text, 0o600, incoming)),
    );
    expect(names.sort()).toEqual(['mail (2).txt', 'mail (3).txt']);
    expect(readFileSync(join(inbox, 'mail.txt'), 'utf8')).toBe('already here');
    expect(
      names.map((name) => readFileSync(join(inbox, name), 'utf8')).sort((a, b) => (a < b ? -1 : 1)),
    ).toEqual(['one', 'two']);
    expect(statSync(join(inbox, names[0] ?? '')).mode & 0o777).toBe(0o600);
    expect(readdirSync(incoming)).toEqual([]);
  });

  it('shares a folder fsync among the callers waiting at once; each resolves after one begun after its call', async () => {
    const syncs = new FolderSyncs();
    const inbox = folder();
    const order: string[] = [];
    const first = syncs.sync(inbox).then(() => order.push('first'));
    // Asked while the first runs: they wait for the next fsync, and share it.
    const second = syncs.sync(inbox);
    const third = syncs.sync(inbox);
    expect(third).toBe(second);
    await Promise.all([first, second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
    // Nothing running: a new call starts its own.
    await syncs.sync(inbox);
  });

  it('a folder that cannot be fsynced fails every caller that waits for it', async () => {
    const syncs = new FolderSyncs();
    const missing = join(folder(), 'gone');
    await expect(syncs.sync(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    const both = [syncs.sync(missing), syncs.sync(missing)];
    for (const result of await Promise.allSettled(both)) expect(result.status).toBe('rejected');
  });

  it("removes one dead process's temporary files, and nothing else", async () => {
    const dir = folder();
    writeFileSync(join(dir, `${tempFilePrefix(999_999)}abc`), 'x');
    writeFileSync(join(dir, `${tempFilePrefix(process.pid)}def`), 'x');
    writeFileSync(join(dir, 'mail.txt'), 'x');
    expect(await removeTempFilesOf(dir, 999_999)).toEqual([`${tempFilePrefix(999_999)}abc`]);
    expect(readdirSync(dir).sort()).toEqual([`${tempFilePrefix(process.pid)}def`, 'mail.txt']);
    expect(await removeTempFilesOf(join(dir, 'none'), 999_999)).toEqual([]);
  });
});
