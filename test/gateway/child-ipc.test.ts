/**
 * The IPC between the gateway and a session child, checked on both sides: a real child
 * process (dist/) fed messages that are not the gateway's, and the guards themselves.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isChildToParent, parseParentToChild } from '../../gateway/web-bridge/child-protocol.js';
import { SessionProcess } from '../../gateway/web-bridge/child-handles.js';
import type { Reply } from '../../gateway/messages.js';
import { distPath } from '../helpers/processes.js';

// The bundle the gateway starts by default (scripts/build-session.ts).
const childScript = distPath('gateway/web-bridge/session-child.cjs');

describe('session child IPC', () => {
  it("a child ignores messages that are not the gateway's and goes on answering", async () => {
    const child = fork(childScript, [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const replies: unknown[] = [];
    child.on('message', (message) => replies.push(message));
    await new Promise<void>((resolve) => {
      child.once('message', () => {
        resolve();
      });
    });
    for (const bogus of [
      'listInbox',
      42,
      { type: 'listInbox' },
      { type: 'listInbox', id: -1 },
      { type: 'signIn', id: 1, host: 'x', port: 99_999 },
      { type: 'send', id: 2, to: [], title: 't', content: 'c' },
      { type: 'readFile', id: 3, path: '/etc/passwd' },
    ])
      child.send(bogus);
    child.send({ type: 'listInbox', id: 7 });
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (replies.length > 1) resolve();
      };
      child.on('message', check);
      check();
    });
    // Only the good request was answered: not signed in yet.
    expect(replies.slice(1)).toEqual([
      { type: 'error', id: 7, code: 'NOT_SIGNED_IN', message: 'sign in first' },
    ]);
    child.send({ type: 'signOut', id: 8 });
    await once(child, 'exit');
    expect(replies.at(-1)).toEqual({ type: 'signedOut', id: 8 });
    expect(stderr.match(/not one of the gateway's/g)).toHaveLength(7);
  });

  it('the gateway stops a child that sends what no child may', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rogue-child-'));
    const script = join(folder, 'rogue.mjs');
    // Says it is ready, then asks the gateway for what no child may, and stays.
    writeFileSync(
      script,
      "process.send({ type: 'ready' });\n" +
        "process.send({ type: 'readFile', path: '/etc/passwd' });\n" +
        'setInterval(() => {}, 1000);\n',
    );
    try {
      const rogue = new SessionProcess(script);
      const replies: Reply[] = [];
      rogue.attach((reply) => replies.push(reply));
      const { signal } = await rogue.closed;
      expect(signal).toBe('SIGKILL');
      expect(replies).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('the guards take the messages each side sends and nothing else', () => {
    expect(parseParentToChild({ type: 'signOut', id: null })).toEqual({
      type: 'signOut',
      id: null,
    });
    expect(parseParentToChild({ type: 'delete', id: 1, emailId: 'abc' })).toBeDefined();
    expect(parseParentToChild({ type: 'delete', id: 1, emailId: '' })).toBeUndefined();
    expect(parseParentToChild({ type: 'hello' })).toBeUndefined();
    expect(isChildToParent({ type: 'ready' })).toBe(true);
    expect(isChildToParent({ type: 'inbox', id: 1, items: [] })).toBe(true);
    expect(isChildToParent({ type: 'hello' })).toBe(false);
    expect(isChildToParent('ready')).toBe(false);
    expect(isChildToParent(null)).toBe(false);
  });
});
