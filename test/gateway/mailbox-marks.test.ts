/**
 * The read marks and the Trash the session child keeps for a user (gateway/web-bridge/
 * mailbox-marks.ts, trash.ts): sealed to the user's key, whole-file writes, bounds, and what
 * emptying and expiry do with and without a delete on the server. The browser's side runs in
 * test/e2e/selection-trash.test.ts against the real gateway and servers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { isChildToParent, parseParentToChild } from '../../gateway/web-bridge/child-protocol.js';
import { MailboxMarks, MARKS_FILE, MAX_MARKS } from '../../gateway/web-bridge/mailbox-marks.js';
import { emptyTrash, expireTrash, moveToTrash } from '../../gateway/web-bridge/trash.js';

const owner = generateKeyPairSync('ed25519').privateKey;
const seal = new LocalSeal(owner, 'client1');

/** What emptying uses of a session: whether it can delete, and the deletes it was asked for. */
function serverWith(canDelete: boolean): { client: MailClient; deleted: string[] } {
  const deleted: string[] = [];
  const client = {
    capabilities: { delete: canDelete },
    delete: (id: string) => {
      deleted.push(id);
      return Promise.resolve(id !== 'gone-already');
    },
  } as unknown as MailClient;
  return { client, deleted };
}

describe('mailbox marks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'marks-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (): string => join(dir, 'client1', MARKS_FILE);

  it('keeps read marks and the Trash sealed: 0600, naming nothing, read back by the same user only', () => {
    const marks = new MailboxMarks(dir, 'client1', seal);
    marks.content.read.add('abc.def');
    moveToTrash(marks, { emails: [{ mark: 'tr.1', emailId: 'id-1' }] }, 1_000);
    const bytes = readFileSync(file());
    expect(bytes.includes(Buffer.from('abc.def'))).toBe(false);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    const again = new MailboxMarks(dir, 'client1', seal).content;
    expect([...again.read]).toEqual(['abc.def']);
    expect([...again.trash.values()]).toEqual([{ mark: 'tr.1', id: 'id-1', at: 1_000 }]);
    // Another user's key, or an altered file: nothing opens, and the marks start afresh.
    const other = new LocalSeal(generateKeyPairSync('ed25519').privateKey, 'client1');
    expect(new MailboxMarks(dir, 'client1', other).content.read.size).toBe(0);
    const altered = Buffer.from(bytes);
    altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 1, altered.length - 1);
    writeFileSync(file(), altered);
    expect(new MailboxMarks(dir, 'client1', seal).content.read.size).toBe(0);
  });

  it('a change starts from the file, so two sessions of one user do not write over each other', () => {
    const first = new MailboxMarks(dir, 'client1', seal);
    const second = new MailboxMarks(dir, 'client1', seal);
    expect(second.content.read.size).toBe(0);
    first.refresh().read.add('from.first');
    first.save();
    second.refresh().read.add('from.second');
    second.save();
    expect([...new MailboxMarks(dir, 'client1', seal).content.read]).toEqual([
      'from.first',
      'from.second',
    ]);
  });

  it('keeps at most MAX_MARKS of each, the newest', () => {
    const marks = new MailboxMarks(dir, 'client1', seal);
    for (let i = 0; i < MAX_MARKS + 5; i++) marks.content.read.add(`m.${i}`);
    marks.save();
    const read = [...new MailboxMarks(dir, 'client1', seal).content.read];
    expect(read).toHaveLength(MAX_MARKS);
    expect(read[0]).toBe('m.5');
  });

  it('empties the Trash on the server where it can delete, and on this computer alone where it cannot', async () => {
    const marks = new MailboxMarks(dir, 'client1', seal);
    moveToTrash(marks, {
      emails: [
        { mark: 'a.1', emailId: 'id-a' },
        { mark: 'b.1', emailId: 'gone-already' },
        { mark: 'c.1', emailId: 'id-c' },
      ],
    });
    moveToTrash(marks, { emails: [{ mark: 'c.1' }], restore: true });
    const enhanced = serverWith(true);
    await expect(emptyTrash(enhanced.client, marks, ['a.1', 'b.1', 'c.1'])).resolves.toEqual({
      removed: ['a.1', 'b.1'],
      onServer: true,
    });
    expect(enhanced.deleted).toEqual(['id-a', 'gone-already']);
    expect(marks.content.trash.size).toBe(0);

    moveToTrash(marks, { emails: [{ mark: 'd.1' }] });
    const classic = serverWith(false);
    await expect(emptyTrash(classic.client, marks, ['d.1'])).resolves.toEqual({
      removed: ['d.1'],
      onServer: false,
    });
    expect(classic.deleted).toEqual([]);
    const kept = new MailboxMarks(dir, 'client1', seal).content;
    expect([...kept.gone]).toEqual(['d.1']);
    // What is gone never goes to the Trash again.
    moveToTrash(marks, { emails: [{ mark: 'd.1' }] });
    expect(marks.content.trash.size).toBe(0);
  });

  it('removes what has been in the Trash its days, and nothing younger', async () => {
    const marks = new MailboxMarks(dir, 'client1', seal);
    const day = 86_400_000;
    moveToTrash(marks, { emails: [{ mark: 'old.1', emailId: 'id-old' }] }, 0);
    moveToTrash(marks, { emails: [{ mark: 'new.1', emailId: 'id-new' }] }, 29 * day);
    const server = serverWith(true);
    await expect(expireTrash(server.client, marks, 30, 30 * day)).resolves.toEqual(['old.1']);
    expect(server.deleted).toEqual(['id-old']);
    expect([...marks.content.trash.keys()]).toEqual(['new.1']);
  });

  it('the IPC guards take the marks requests and replies, and nothing else', () => {
    expect(
      parseParentToChild({ type: 'setRead', id: 1, marks: ['a.b'], read: true }),
    ).toBeDefined();
    expect(parseParentToChild({ type: 'setRead', id: 1, marks: [], read: true })).toBeUndefined();
    expect(
      parseParentToChild({ type: 'setRead', id: 1, marks: ['../x'], read: true }),
    ).toBeUndefined();
    expect(
      parseParentToChild({ type: 'moveToTrash', id: 1, emails: [{ mark: 'a', emailId: 'x' }] }),
    ).toBeDefined();
    expect(
      parseParentToChild({ type: 'moveToTrash', id: 1, emails: [{ emailId: 'x' }] }),
    ).toBeUndefined();
    expect(parseParentToChild({ type: 'emptyTrash', id: 1, marks: ['a'] })).toBeDefined();
    expect(parseParentToChild({ type: 'loadMarks', id: 1 })).toBeDefined();
    expect(isChildToParent({ type: 'marks', id: 1 })).toBe(true);
    expect(isChildToParent({ type: 'trashEmptied', id: 1 })).toBe(true);
  });
});
