/**
 * One client per session process (the default) against several (--clients-per-process, the
 * high-performance mode): what a crash of a session process ends, and that the per-address
 * limits and the login throttle still count each connection.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { encryptLogin } from '../../protocol/classic/login.js';
import { isProtocolError } from '../../protocol/errors.js';
import { encodeFrame } from '../../protocol/framing.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';
import { sessionsNow, waitFor } from '../helpers/server-state.js';
import { childPids } from '../../scripts/lib/server-process.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  args: string[],
  script?: string,
): Promise<{ dir: string; server: RunningServer }> {
  const keys = await makeKeySetup(['client1', 'client2', 'client3', 'client4']);
  cleanups.push(keys.cleanup);
  const server = await startMailServer(serverHome(keys.dir), args, script);
  cleanups.push(() => server.stop());
  return { dir: keys.dir, server };
}

/** The pid of the session process serving `user`, as the server lists it for `admin who`. */
function sessionPid(dir: string, user: string): Promise<number> {
  return waitFor(`a session of ${user} listed`, () =>
    sessionsNow(serverHome(dir)).find((session) => session.user === user),
  ).then((session) => session.pid);
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** A listing works on a live session; rejects on one whose process is gone. */
const lists = async (client: MailClient): Promise<boolean> =>
  client.listInbox().then(
    () => true,
    () => false,
  );

describe('clients per session process', () => {
  it('one (the default): a crash of one session process leaves the other sessions served', async () => {
    const { dir, server } = await setup(['--spare', '2']);
    const first = await signIn(server.port, dir, 'client1');
    const second = await signIn(server.port, dir, 'client2');
    const [firstPid, secondPid] = [
      await sessionPid(dir, 'client1'),
      await sessionPid(dir, 'client2'),
    ];
    expect(firstPid).not.toBe(secondPid);
    process.kill(firstPid, 'SIGKILL');
    expect(await lists(first)).toBe(false);
    expect(await lists(second)).toBe(true);
    await second.terminate();
  });

  it('several: sessions share a process, a crash ends all of them, and new clients are served', async () => {
    const { dir, server } = await setup(['--clients-per-process', '4', '--spare', '1']);
    const first = await signIn(server.port, dir, 'client1');
    const second = await signIn(server.port, dir, 'client2');
    const pid = await sessionPid(dir, 'client1');
    expect(await sessionPid(dir, 'client2')).toBe(pid);
    // Each session keeps its own key and state: both work side by side.
    await first.send({ to: ['client2'], title: 'shared process', content: 'hello' });
    expect((await second.listInbox()).rows.map((row) => row.title)).toEqual(['shared process']);
    process.kill(pid, 'SIGKILL');
    expect(await lists(first)).toBe(false);
    expect(await lists(second)).toBe(false);
    // The parent saw the death: the crashed process is no longer its child.
    await waitFor('the parent to reap the crashed process', () =>
      childPids(server.process.child.pid ?? 0).includes(pid) ? undefined : true,
    );
    const later = await signIn(server.port, dir, 'client3');
    expect(await lists(later)).toBe(true);
    await later.terminate();
  });

  it('several: one address may still hold only --max-logins-per-address logins in progress', async () => {
    const { dir, server } = await setup([
      '--clients-per-process',
      '4',
      '--max-sessions',
      '8',
      '--spare',
      '8',
      '--max-logins-per-address',
      '2',
    ]);
    // Recorded logins from 127.0.0.2 that never send their "OK": each holds a session slot
    // until its deadline, unless the per-address limit keeps it waiting in the parent.
    const keys = setupKeys(dir, 'client1');
    const recorded = encodeFrame(
      encryptLogin(keys.serverPublicKey, { username: 'client1', password: 'password1' }),
    );
    const stalled: Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const socket = connect({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.2' });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(recorded);
      stalled.push(socket);
    }
    cleanups.push(() => {
      for (const socket of stalled) socket.destroy();
    });
    const honest = await signIn(server.port, dir, 'client2');
    expect(await lists(honest)).toBe(true);
    await honest.terminate();
  });

  it('several: the login throttle still counts each connection (enhanced)', async () => {
    const { dir, server } = await setup(
      ['--clients-per-process', '4', '--spare', '4'],
      'mail-server/main-enhanced.js',
    );
    for (let i = 0; i < 4; i++) {
      const error = await errorOf(signIn(server.port, dir, 'client3', `guess${i}`, 'enhanced'));
      expect(isProtocolError(error, 'LOGIN_REJECTED')).toBe(true);
    }
    const locked = await errorOf(signIn(server.port, dir, 'client3', 'password3', 'enhanced'));
    expect(isProtocolError(locked, 'LOGIN_REJECTED')).toBe(true);
    const other = await signIn(server.port, dir, 'client4', undefined, 'enhanced');
    await other.terminate();
  });
});
