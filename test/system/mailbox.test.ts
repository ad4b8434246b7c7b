/**
 * The operations of session version 2 between real processes: a push that crosses session
 * processes (the store's watch), a delete racing deliveries, a wait cut by a killed server,
 * and an enhanced client of session version 1 served by today's server.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { deleteEmail } from '../../protocol/operations/delete-email.js';
import { isProtocolError } from '../../protocol/errors.js';
import { MAX_BATCH_IDS, viewEmailsByIds } from '../../protocol/operations/view-email.js';
import { inboxOf, makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ dir: string; server: RunningServer }> {
  const keys = await makeKeySetup(['client1', 'client2', 'client3']);
  cleanups.push(keys.cleanup);
  const server = await startMailServer(
    serverHome(keys.dir),
    ['--spare', '3'],
    'mail-server/main-enhanced.js',
  );
  cleanups.push(server.stop);
  return { dir: keys.dir, server };
}

async function signIn(
  dir: string,
  server: RunningServer,
  user: string,
  version?: number,
): Promise<MailClient> {
  const client = await openSession({
    host: '127.0.0.1',
    port: server.port,
    channel: 'enhanced',
    credentials: { username: user, password: `password${user.slice(-1)}` },
    keys: setupKeys(dir, user),
    replyTimeoutMs: 30_000,
    version,
  });
  cleanups.push(() => {
    client.destroy();
  });
  return client;
}

describe('session version 2 between processes', () => {
  it('pushes a delivery made by another session process to a waiting client', async () => {
    const { dir, server } = await setup();
    const reader = await signIn(dir, server, 'client2');
    const waiting = reader.waitForMail({ timeoutSeconds: 60 });
    const writer = await signIn(dir, server, 'client1');
    const { report } = await writer.send({
      to: ['client2', 'nobody'],
      title: 'push',
      content: 'hi',
    });
    expect(report?.recipients.map((recipient) => recipient.status)).toEqual([
      'delivered',
      'unknownUser',
    ]);
    expect(await waiting).toBe('newMail');
    expect((await reader.listInbox()).rows.map((row) => row.title)).toEqual(['push']);
  });

  it('deletes by id while other emails are delivered: each delivered email stays, exactly once', async () => {
    const { dir, server } = await setup();
    const writer = await signIn(dir, server, 'client1');
    await writer.send({ to: ['client2'], title: 'first', content: '1' });
    const owner = await signIn(dir, server, 'client2');
    const [first] = (await owner.listInbox()).rows;
    const other = await signIn(dir, server, 'client3');
    // Deliveries from two sessions race the deletion; an index would have shifted, an id cannot.
    const [deleted] = await Promise.all([
      owner.delete(first?.id ?? ''),
      ...Array.from({ length: 5 }, (_, i) =>
        (i % 2 === 0 ? writer : other).send({
          to: ['client2'],
          title: `race ${i}`,
          content: `${i}`,
        }),
      ),
    ]);
    expect(deleted).toBe(true);
    const titles = (await owner.listInbox()).rows.map((row) => row.title).sort();
    expect(titles).toEqual(['race 0', 'race 1', 'race 2', 'race 3', 'race 4']);
  });

  it('ends a wait with a clear error when the server is killed', async () => {
    const { dir, server } = await setup();
    const reader = await signIn(dir, server, 'client2');
    const waiting = reader.waitForMail({ timeoutSeconds: 60 });
    server.process.child.kill('SIGKILL');
    await expect(waiting).rejects.toSatisfy(
      (error) =>
        isProtocolError(error, 'CONNECTION_CLOSED') || isProtocolError(error, 'TRUNCATED_FRAME'),
    );
  });

  it('a wait whose first look at the inbox fails still waits, and the session goes on', async () => {
    const { dir, server } = await setup();
    const reader = await signIn(dir, server, 'client2');
    const inbox = inboxOf(dir, 'client2');
    renameSync(inbox, `${inbox}.away`);
    writeFileSync(inbox, 'not a folder');
    await expect(reader.waitForMail({ timeoutSeconds: 1 })).resolves.toBe('timedOut');
    rmSync(inbox);
    renameSync(`${inbox}.away`, inbox);
    const writer = await signIn(dir, server, 'client1');
    await writer.send({ to: ['client2'], title: 'after the wait', content: 'hi' });
    expect((await reader.listInbox()).rows.map((row) => row.title)).toEqual(['after the wait']);
  });

  it('serves an enhanced client of session version 1 with the four original operations', async () => {
    const { dir, server } = await setup();
    const old = await signIn(dir, server, 'client1', SessionVersion.original);
    expect(old.version).toBe(SessionVersion.original);
    expect(old.menu).not.toContain('5)');
    expect(await old.send({ to: ['client2'], title: 'old', content: 'client' })).not.toHaveProperty(
      'report',
    );
    const current = await signIn(dir, server, 'client2');
    expect(current.version).toBe(SessionVersion.batchReads);
    const { rows } = await current.listInbox();
    expect(rows.map((row) => row.title)).toEqual(['old']);
    expect(rows[0]?.id).toMatch(/^[\w-]{22}$/);
    // Version 7 over the real server: a batch of ids, one of them not there, in one exchange.
    const batch = await current.readBatch([rows[0]?.id ?? '', 'made-up']);
    expect(
      batch.map((result) => (result.kind === 'email' ? result.email?.title : result.kind)),
    ).toEqual(['old', 'refused']);
    // A batch beyond its bounds, sent as a hostile client would: that session ends, before any
    // read; the server serves the next one.
    const hostile = await signIn(dir, server, 'client2');
    const tooMany = Array.from({ length: MAX_BATCH_IDS + 1 }, (_, i) => `x${i}`).join(' ');
    await expect(
      hostile.run(viewEmailsByIds, () => Promise.resolve(`ids:${tooMany}`)),
    ).rejects.toThrow();
    await server.process.waitForRecord('session ended', { code: 'UNEXPECTED_MESSAGE' });
    const next = await signIn(dir, server, 'client2');
    expect((await next.readBatch([rows[0]?.id ?? ''])).map((result) => result.kind)).toEqual([
      'email',
    ]);
    await next.terminate();
    // Any operation can be run by its description; one the session lacks is refused before a byte is sent.
    const refused = await old.run(deleteEmail, rows[0]?.id ?? '').catch((error: unknown) => error);
    expect(isProtocolError(refused, 'NOT_SUPPORTED')).toBe(true);
    expect(await old.listInbox()).toMatchObject({ rows: [] });
    await expect(current.run(deleteEmail, rows[0]?.id ?? '')).resolves.toEqual({ deleted: true });
    await old.terminate();
    await current.terminate();
  });
});
