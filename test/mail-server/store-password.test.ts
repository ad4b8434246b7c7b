/**
 * The PostgreSQL password of a --store URL reaches session processes through their own
 * environment, handed to them explicitly: never on their command line, and without changing
 * the server's own environment.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSessionImage } from '../../mail-server/session-image.js';
import { storeSpecForChildren } from '../../mail-server/store/open-store.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('the store password', () => {
  it('is taken out of the URL the children get, and this process is left as it was', () => {
    const before = process.env.PGPASSWORD;
    expect(storeSpecForChildren('postgres://mail:s%40cret@db:5432/mail')).toEqual({
      spec: 'postgres://mail@db:5432/mail',
      password: 's@cret',
    });
    expect(process.env.PGPASSWORD).toBe(before);
    expect(storeSpecForChildren('postgres://mail@db/mail')).toEqual({
      spec: 'postgres://mail@db/mail',
    });
    expect(storeSpecForChildren('maildir')).toEqual({ spec: 'maildir' });
  });

  it('reaches a session process in its environment, not its arguments', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sealed-mail-image-'));
    folders.push(folder);
    // A stand-in session process: it reports what it was given and ends.
    writeFileSync(
      join(folder, 'worker.js'),
      'process.send({ password: process.env.PGPASSWORD ?? null, argv: process.argv.slice(2) }, () => process.exit(0));\n',
    );
    const child = findSessionImage('modules', 'on', folder).start(
      '{"store":"postgres://mail@db/mail"}',
      {
        PGPASSWORD: 's@cret',
      },
    );
    const [report] = (await once(child, 'message')) as [
      { password: string | null; argv: string[] },
    ];
    expect(report.password).toBe('s@cret');
    expect(report.argv.join(' ')).not.toContain('s@cret');
    await once(child, 'exit');
  });
});
