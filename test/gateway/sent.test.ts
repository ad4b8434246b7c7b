/**
 * The local Sent folder, end to end: the built gateway (`--data DIR`) and its session children
 * against a real mail server; what a browser sees over its socket and what lands on disk.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, SentItem } from '../../gateway/messages.js';
import {
  Browser,
  gatewayCookie,
  makeWebRoot,
  startGatewayProcess,
  type RunningGateway,
} from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

type Of<K extends Reply['type']> = Extract<Reply, { type: K }>;

const SENT_ID = /^\d{8}-\d{6}-\d{6}-[0-9a-f]{8}$/;
const mode = (path: string): number => statSync(path).mode & 0o777;

describe('the local Sent folder', () => {
  let keys: { dir: string; cleanup: () => void };
  let web: { dir: string; cleanup: () => void };
  let data: string;
  let server: RunningServer;
  let gateway: RunningGateway;
  const tabs: Browser[] = [];
  const signedIn = async (username: string): Promise<Browser> => {
    // A browser of its own each (its own cookie, so its own session).
    const tab = await Browser.open(gateway.base, await gatewayCookie(gateway.base, gateway.token));
    tabs.push(tab);
    expect(await tab.signIn(username)).toMatchObject({ type: 'signedIn' });
    return tab;
  };
  const sentFolder = (username: string): string => join(data, username, 'sent');

  beforeAll(async () => {
    keys = await makeKeySetup(['client1', 'client2', 'client3', 'client4', 'client5']);
    web = makeWebRoot();
    data = join(mkdtempSync(join(tmpdir(), 'sealed-mail-data-')), 'gateway');
    server = await startMailServer(serverHome(keys.dir));
    gateway = await startGatewayProcess([
      '--keys',
      keys.dir,
      '--server',
      `127.0.0.1:${server.port}`,
      '--web-root',
      web.dir,
      '--data',
      data,
      '--poll',
      '0',
    ]);
  });

  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  });

  afterAll(async () => {
    await gateway.stop();
    await server.stop();
    rmSync(join(data, '..'), { recursive: true, force: true });
    web.cleanup();
    keys.cleanup();
  });

  it('keeps a copy of each email sent, lists them newest last and reads one back', async () => {
    const tab = await signedIn('client1');
    expect(await tab.request({ type: 'listSent' })).toMatchObject({ type: 'sentList', items: [] });
    const titles = ['Lunch', 'Dinner', 'Breakfast'];
    const ids: string[] = [];
    for (const title of titles) {
      const sent = (await tab.request({
        type: 'send',
        to: ['client2', 'client3'],
        title,
        content: `${title} at noon?\nBring the map.`,
      })) as Of<'sent'>;
      expect(sent).toMatchObject({ type: 'sent', recipients: ['client2', 'client3'] });
      expect(sent.sentId).toMatch(SENT_ID);
      ids.push(sent.sentId ?? '');
    }
    const list = (await tab.request({ type: 'listSent' })) as Of<'sentList'>;
    expect(list.items.map((item) => item.id)).toEqual(ids);
    expect(list.items[0]).toEqual({
      id: ids[0] ?? '',
      to: ['client2', 'client3'],
      title: 'Lunch',
      sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/) as string,
      contentLength: 'Lunch at noon?\nBring the map.'.length,
      protocol: 'classic',
      server: `127.0.0.1:${server.port}`,
      // The classic protocol gives no delivery report: none is kept. Every recipient's key is in
      // the keyring: sealed, on the classic protocol too.
      sealed: true,
    } satisfies SentItem);
    const read = (await tab.request({ type: 'readSent', sentId: ids[1] ?? '' })) as Of<'sentEmail'>;
    expect(read.email).toMatchObject({
      id: ids[1],
      title: 'Dinner',
      to: ['client2', 'client3'],
      content: 'Dinner at noon?\nBring the map.',
    });

    // The file is sealed to client1's key: none of the email is readable on the disk.
    const file = readFileSync(join(sentFolder('client1'), `${ids[0] ?? ''}.sealed`));
    for (const clear of ['Lunch', 'client2;client3', 'Bring the map', 'Sealed-Mail-Sent'])
      expect(file.includes(clear)).toBe(false);
    // A copy of it in another user's Sent folder opens with nobody else's key: not listed.
    const intruder = sentFolder('client2');
    mkdirSync(intruder, { recursive: true, mode: 0o700 });
    writeFileSync(join(intruder, `${ids[0] ?? ''}.sealed`), file, { mode: 0o600 });
    // Another user's folder is their own.
    const other = await signedIn('client2');
    expect(await other.request({ type: 'listSent' })).toMatchObject({ items: [] });
    rmSync(join(intruder, `${ids[0] ?? ''}.sealed`));
  });

  it('carries a 1,000,000-character email with emoji into the folder and back, whole; 0600 in 0700', async () => {
    const content = 'a€😀\n'.repeat(250_000);
    const tab = await signedIn('client5');
    const sent = (await tab.request({
      type: 'send',
      to: ['client1'],
      title: 'Big one 😀',
      content,
      unsealed: true,
    })) as Of<'sent'>;
    const sentId = sent.sentId ?? '';
    expect(sentId).toMatch(SENT_ID);
    const read = (await tab.request({ type: 'readSent', sentId })) as Of<'sentEmail'>;
    expect(read.email.contentLength).toBe(1_000_000);
    expect(read.email.title).toBe('Big one 😀');
    expect(read.email.content === content).toBe(true);

    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, 'client5'))).toBe(0o700);
    expect(mode(sentFolder('client5'))).toBe(0o700);
    expect(readdirSync(sentFolder('client5'))).toEqual([`${sentId}.sealed`]);
    expect(mode(join(sentFolder('client5'), `${sentId}.sealed`))).toBe(0o600);
  });

  it('answers an unknown id with NOT_FOUND, and an id that is not one with BAD_REQUEST', async () => {
    const tab = await signedIn('client1');
    expect(
      await tab.request({ type: 'readSent', sentId: '20000101-000000-000000-00000000' }),
    ).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    for (const sentId of [
      '../../server/user_pass',
      '/etc/passwd',
      'x',
      '20000101-000000-000000-0000000g',
    ])
      expect(await tab.request({ type: 'readSent', sentId }), sentId).toMatchObject({
        type: 'error',
        code: 'BAD_REQUEST',
      });
    const stranger = await Browser.open(
      gateway.base,
      await gatewayCookie(gateway.base, gateway.token),
    );
    tabs.push(stranger);
    expect(await stranger.request({ type: 'listSent' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
  });

  it('refuses a Sent folder that is a symbolic link, or a folder others may write, and still sends', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'sealed-mail-elsewhere-'));
    mkdirSync(join(data, 'client3'), { mode: 0o700 });
    symlinkSync(elsewhere, sentFolder('client3'));
    mkdirSync(join(data, 'client4'), { mode: 0o700 });
    chmodSync(join(data, 'client4'), 0o777);
    try {
      for (const [user, problem] of [
        ['client3', /client3\/sent is a symbolic link/],
        ['client4', /client4 can be written by other users/],
      ] as const) {
        const tab = await signedIn(user);
        const sent = (await tab.request({
          type: 'send',
          to: ['client1'],
          title: 'kept?',
          content: 'no',
        })) as Of<'sent'>;
        expect(sent.type, user).toBe('sent');
        expect(sent.sentId, user).toBeUndefined();
        expect(sent.sentCopyProblem, user).toMatch(problem);
        const list = await tab.request({ type: 'listSent' });
        expect(list, user).toMatchObject({ type: 'error', code: 'INTERNAL' });
        const { message } = list as Of<'error'>;
        expect(message, user).toMatch(problem);
        expect(message, user).not.toContain(data);
      }
      // Nothing was written through the link.
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('lists only the newest 10,000', async () => {
    const folder = sentFolder('client2');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    for (let n = 0; n < 10_005; n++) {
      const id = `20200101-000000-${String(n).padStart(6, '0')}-0000abcd`;
      writeFileSync(
        join(folder, `${id}.txt`),
        `Sealed-Mail-Sent: 1\nProtocol: classic\nServer: h:1\n\nFrom: client2\nTo: client1\nTime and Date: 2020-01-01 00:00:00.${String(n).padStart(6, '0')}\nTitle: n${n}\nContent Length: 0\nContent:\n`,
        { mode: 0o600 },
      );
    }
    const tab = await signedIn('client2');
    const { items } = (await tab.request({ type: 'listSent' })) as Of<'sentList'>;
    expect(items.length).toBe(10_000);
    expect(items[0]?.title).toBe('n5');
    expect(items.at(-1)?.title).toBe('n10004');
  });
});
