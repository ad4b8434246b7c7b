/**
 * The command-line tools when their reader goes away early (`npm run admin -- users list | head
 * -1`): they end quietly, exit 0, no EPIPE stack on stderr. The reader's end of the pipe is closed
 * before the tool writes a byte, so every write it makes fails.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { repoRoot } from '../helpers/processes.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function withOutputClosed(
  script: string,
  args: string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('a command-line tool whose output is closed early', () => {
  it('admin users list ends quietly', async () => {
    const keys = await makeKeySetup();
    cleanups.push(keys.cleanup);
    const result = await withOutputClosed('scripts/admin.js', [
      '--home',
      serverHome(keys.dir),
      'users',
      'list',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('keygen ends quietly', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sealed-mail-keygen-'));
    cleanups.push(() => {
      rmSync(folder, { recursive: true, force: true });
    });
    const result = await withOutputClosed('scripts/keygen.js', [
      '--out',
      join(folder, 'keys'),
      '--users',
      'ana',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
