/**
 * The opened ids (gateway/protocol-client/opened-emails.ts) as the content search's indexer
 * records them: many at once, oldest first, so that a later copy is a copy; and the records
 * kept in memory still see what another program appends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import { OpenedEmails } from '../../gateway/protocol-client/opened-emails.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

describe('opened emails', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  function setup(): { folder: string; seal: LocalSeal } {
    const folder = mkdtempSync(join(tmpdir(), 'opened-'));
    folders.push(folder);
    const { privateKey } = testRsaKeyPair('client1');
    return { folder, seal: new LocalSeal(privateKey, 'client1') };
  }

  it('records the first place of each id at once; a second place is a copy', () => {
    const { folder, seal } = setup();
    const opened = new OpenedEmails(folder, seal);
    const id = randomBytes(16);
    const other = randomBytes(16);
    const original = { receivedAt: '2026-12-01 09:00:00.000001', serverId: 'a' };
    const copy = { receivedAt: '2026-12-01 09:00:00.000001', serverId: 'b' };
    opened.openedAll(
      [
        { emailId: id, place: original },
        { emailId: other, place: { receivedAt: '2026-12-02 09:00:00.000001' } },
        { emailId: id, place: copy },
      ],
      1000,
    );
    expect(opened.opened(id, original)).toBeUndefined();
    expect(opened.opened(id, copy)).toEqual({ receivedAt: original.receivedAt, openedAtMs: 1000 });
    // A fresh reader of the file (the next session) sees the same.
    expect(new OpenedEmails(folder, seal).opened(id, copy)).toMatchObject({ openedAtMs: 1000 });
  });

  it('sees what another program appended after its records were kept', () => {
    const { folder, seal } = setup();
    const mine = new OpenedEmails(folder, seal);
    const theirs = new OpenedEmails(folder, seal);
    const first = randomBytes(16);
    mine.opened(first, { receivedAt: 't1' }, 1);
    const id = randomBytes(16);
    theirs.opened(id, { receivedAt: 't2' }, 2);
    expect(mine.opened(id, { receivedAt: 't3' })).toEqual({ receivedAt: 't2', openedAtMs: 2 });
  });
});
