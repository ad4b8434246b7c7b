import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  emailFileStem,
  readEmailFile,
  writeEmailFile as deliver,
} from '../../mail-server/store/seed-files-email.js';
import { removeTempFiles, tempFilePrefix } from '../../common/safe-files.js';
import { InboxIndex } from '../../mail-server/store/seed-files-index.js';
import { formatStoredEmail } from '../../protocol/email.js';

let folder: string;
let indexFolder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'sealed-mail-store-'));
  indexFolder = mkdtempSync(join(tmpdir(), 'sealed-mail-index-'));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
  rmSync(indexFolder, { recursive: true, force: true });
});

/** The listing as a process that has never seen the folder makes it. */
const listInbox = (inbox: string): ReturnType<InboxIndex['entries']> =>
  new InboxIndex(inbox, indexFolder, 'user').entries();

const stored = (title: string, receivedAt: string, from = 'client1'): string =>
  formatStoredEmail({ from, to: ['client2'], title, content: 'hi' }, receivedAt);

describe('mail store', () => {
  it('names a file <sender>_<title>.txt', () => {
    expect(
      deliver(folder, emailFileStem('client1', 'Test'), stored('Test', '2022-01-01 00:00:00.1')),
    ).toBe('client1_Test.txt');
    expect(readFileSync(join(folder, 'client1_Test.txt'), 'utf8')).toBe(
      stored('Test', '2022-01-01 00:00:00.1'),
    );
  });

  it('keeps hostile titles inside the folder and intact inside the file', () => {
    const titles = [
      '../x',
      '../../etc/passwd',
      'a/b',
      '\u0000\u0001\u001b[31m',
      '..',
      '.',
      '\\',
      '😀'.repeat(100),
      'é'.repeat(100),
    ];
    for (const title of titles) {
      const stem = emailFileStem('client1', title);
      // eslint-disable-next-line no-control-regex
      expect(stem).not.toMatch(/[/\\\u0000-\u001f]/);
      expect(Buffer.byteLength(`${stem} (99999).txt`)).toBeLessThanOrEqual(255);
      const name = deliver(folder, stem, stored(title, '2022-01-01 00:00:00.5'));
      expect(readEmailFile(folder, name)).toContain(`Title: ${title}\n`);
    }
    expect(readdirSync(folder)).toHaveLength(titles.length);
    expect(
      listInbox(folder)
        .map((entry) => entry.title)
        .sort(),
    ).toEqual([...titles].sort());
  });

  it('never overwrites: the same sender and title get a second file', () => {
    const stem = emailFileStem('client1', 'Same');
    expect(deliver(folder, stem, stored('Same', '2022-01-01 00:00:01'))).toBe('client1_Same.txt');
    expect(deliver(folder, stem, stored('Same', '2022-01-01 00:00:02'))).toBe(
      'client1_Same (2).txt',
    );
    expect(deliver(folder, stem, stored('Same', '2022-01-01 00:00:03'))).toBe(
      'client1_Same (3).txt',
    );
    expect(listInbox(folder).map((entry) => entry.receivedAt)).toEqual([
      '2022-01-01 00:00:01',
      '2022-01-01 00:00:02',
      '2022-01-01 00:00:03',
    ]);
  });

  it('leaves no temporary file behind', () => {
    deliver(folder, 'client1_T', stored('T', '2022-01-01 00:00:00'));
    expect(readdirSync(folder)).toEqual(['client1_T.txt']);
  });

  it('lists oldest first by the receive time in the header, not by name', () => {
    deliver(folder, 'client1_a', stored('a', '2022-01-02 00:00:00.000001'));
    deliver(folder, 'client1_b', stored('b', '2022-01-01 00:00:00'));
    deliver(folder, 'client3_c', stored('c', '2022-01-01 00:00:00.5', 'client3'));
    expect(listInbox(folder).map((entry) => entry.title)).toEqual(['b', 'c', 'a']);
  });

  it('still lists a file that is not in the format', () => {
    writeFileSync(join(folder, 'client9_odd.txt'), 'not an email');
    const [entry] = listInbox(folder);
    expect(entry?.from).toBe('client9');
    expect(entry?.title).toBe('client9_odd');
    expect(entry?.receivedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  it('reads only the header of a long email for the listing', () => {
    deliver(
      folder,
      'client1_big',
      formatStoredEmail(
        { from: 'client1', to: ['client2'], title: 'big', content: 'x'.repeat(1_000_000) },
        '2022-01-01 00:00:00',
      ),
    );
    expect(listInbox(folder)[0]?.title).toBe('big');
  });

  it("removes a dead process's temporary files and no others", () => {
    writeFileSync(join(folder, `${tempFilePrefix(111)}abc`), 'partial');
    writeFileSync(join(folder, `${tempFilePrefix(99_999_999)}def`), 'partial');
    expect(removeTempFiles(folder, 111)).toEqual([`${tempFilePrefix(111)}abc`]);
    expect(readdirSync(folder)).toEqual([`${tempFilePrefix(99_999_999)}def`]);
    removeTempFiles(folder);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('never reads through a symbolic link planted in an inbox, nor lists a folder', () => {
    const outside = join(folder, '..', `secret-${Date.now()}.txt`);
    writeFileSync(
      outside,
      formatStoredEmail(
        { from: 'root', to: ['x'], title: 'secret', content: 'root:x:0:0' },
        '2022-01-01 00:00:00',
      ),
    );
    try {
      symlinkSync(outside, join(folder, 'client1_link.txt'));
      symlinkSync('/etc/passwd', join(folder, 'client1_passwd.txt'));
      mkdirSync(join(folder, 'client1_dir.txt'));
      deliver(folder, 'client1_real', stored('real', '2022-01-01 00:00:00'));
      expect(listInbox(folder).map((entry) => entry.file)).toEqual(['client1_real.txt']);
      expect(readEmailFile(folder, 'client1_link.txt')).toBeUndefined();
      expect(readEmailFile(folder, 'client1_passwd.txt')).toBeUndefined();
      expect(readEmailFile(folder, '../x.txt')).toBeUndefined();
    } finally {
      rmSync(outside, { force: true });
    }
  });
});
