/** The one safe-file module: placement, links, recovery of what a dead process left. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendWhole,
  FileTooLargeError,
  NotRegularFileError,
  readRegularFile,
  removeTempFiles,
  tempFilePrefix,
  writeFileSafely,
  writeFileUnderFreeName,
} from '../../common/safe-files.js';
import { createLogger } from '../../mail-server/log.js';
import { PersistentThrottle, throttleFileName } from '../../mail-server/throttle/file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-common-'));
  dirs.push(dir);
  return dir;
};

/** The pid of a process that has run and ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid;
  if (pid === undefined) throw new Error('no child');
  await once(child, 'exit');
  return pid;
}

describe('common/safe-files', () => {
  it('writes a new file with its exact mode, refuses a taken name, and leaves no temporary file', () => {
    const folder = tempDir();
    writeFileSafely(folder, 'a', 'one', { mode: 0o640, place: 'new' });
    expect(lstatSync(join(folder, 'a')).mode & 0o777).toBe(0o640);
    expect(() => {
      writeFileSafely(folder, 'a', 'two', { mode: 0o600, place: 'new' });
    }).toThrow(expect.objectContaining({ code: 'EEXIST' }) as Error);
    expect(readFileSync(join(folder, 'a'), 'utf8')).toBe('one');
    writeFileSafely(folder, 'a', 'three', { mode: 0o600, place: 'replace' });
    expect(readFileSync(join(folder, 'a'), 'utf8')).toBe('three');
    expect(readdirSync(folder)).toEqual(['a']);
  });

  it('replaces a symbolic link itself, never the file it points at', () => {
    const folder = tempDir();
    const target = join(tempDir(), 'target');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(folder, 'state'));
    writeFileSafely(folder, 'state', 'new', { mode: 0o600, place: 'replace' });
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(join(folder, 'state')).isFile()).toBe(true);
  });

  it('takes the first free name', () => {
    const folder = tempDir();
    const name = (n: number): string => (n === 1 ? 'x.txt' : `x (${n}).txt`);
    expect(writeFileUnderFreeName(folder, name, 'a', 0o600)).toBe('x.txt');
    expect(writeFileUnderFreeName(folder, name, 'b', 0o600)).toBe('x (2).txt');
    expect(readdirSync(folder).sort()).toEqual(['x (2).txt', 'x.txt']);
  });

  it('reads only regular files, never through a link, and checks the size before reading', () => {
    const folder = tempDir();
    writeFileSync(join(folder, 'file'), '12345');
    symlinkSync(join(folder, 'file'), join(folder, 'link'));
    expect(readRegularFile(join(folder, 'file'), 5)?.toString()).toBe('12345');
    expect(readRegularFile(join(folder, 'link'), 5)).toBeUndefined();
    expect(() => readRegularFile(join(folder, 'link'), 5, { others: 'throw' })).toThrow(
      NotRegularFileError,
    );
    expect(() => readRegularFile(join(folder, 'file'), 4)).toThrow(FileTooLargeError);
    expect(readRegularFile(join(folder, 'file'), 4, { whole: false })?.toString()).toBe('1234');
    expect(readRegularFile(join(folder, 'missing'), 4)).toBeUndefined();
  });

  it('appends whole lines and refuses to append through a link', () => {
    const folder = tempDir();
    appendWhole(join(folder, 'log'), 'a\n', { mode: 0o600, durable: true });
    appendWhole(join(folder, 'log'), 'b\n', { mode: 0o600, durable: false });
    expect(readFileSync(join(folder, 'log'), 'utf8')).toBe('a\nb\n');
    symlinkSync(join(folder, 'log'), join(folder, 'link'));
    expect(() => {
      appendWhole(join(folder, 'link'), 'c\n', { mode: 0o600, durable: true });
    }).toThrow(NotRegularFileError);
    expect(readFileSync(join(folder, 'log'), 'utf8')).toBe('a\nb\n');
  });

  it("at start removes the temporary files of processes that ended, never a running one's", async () => {
    const folder = tempDir();
    const dead = await deadPid();
    const deadTemp = `${tempFilePrefix(dead)}abc`;
    const liveTemp = `${tempFilePrefix(process.pid)}def`;
    writeFileSync(join(folder, deadTemp), 'partial');
    writeFileSync(join(folder, liveTemp), 'being written');
    writeFileSync(join(folder, 'client1_Hello.txt'), 'an email');
    expect(removeTempFiles(folder)).toEqual([deadTemp]);
    expect(readdirSync(folder).sort()).toEqual(['client1_Hello.txt', liveTemp].sort());
  });

  it('a server opening its throttle state clears what a dead server left while saving it', async () => {
    const home = tempDir();
    const leftover = `${tempFilePrefix(await deadPid())}0123456789ab`;
    writeFileSync(join(home, leftover), '{"entries":');
    const throttle = new PersistentThrottle(
      home,
      throttleFileName('classic'),
      createLogger('fatal'),
    );
    throttle.close();
    expect(existsSync(join(home, leftover))).toBe(false);
  });
});
