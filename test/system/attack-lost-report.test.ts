/**
 * The attacker in the middle drops the enhanced delivery report after the server stored the
 * email (issue 22, case 7). The client cannot know whether it was delivered; it tries again
 * with the same send id on a new session, after the server restarted too: the recipient has
 * exactly one copy, and the retry gets the first delivery's report. With both stores: the
 * home's folders, and PostgreSQL (a throwaway cluster).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { Lab, removeKeyTemplate } from '../../scripts/attack/lab.js';
import type { Proxy } from '../../scripts/attack/proxy.js';
import { reportDropper } from '../../scripts/attack/report-dropper.js';
import { freshDatabase, postgresUnavailable, skippedBecause } from '../helpers/postgres.js';

let lab: Lab | undefined;
let proxy: Proxy | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await lab?.stop();
  lab = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(removeKeyTemplate);

const TITLE = 'Invoice 2026-114: please pay';
/** Longer than a padded record of a short message (256 bytes): the email's frame stands out by its size. */
const draft = {
  to: ['client2', 'nobody'],
  title: TITLE,
  content: `Pay 1,200 to account 0000-1111.\n${'Details of the order. '.repeat(40)}`,
};
const EMAIL_FRAME_BYTES = 700;

async function copiesOf(lab: Lab, user: string, title: string): Promise<number> {
  const reader: MailClient = await lab.signIn(user);
  try {
    const { rows } = await reader.listInbox();
    return rows.filter((row) => row.title === title).length;
  } finally {
    await reader.terminate();
  }
}

const stores: { name: string; skip?: string; store: () => Promise<string | undefined> }[] = [
  { name: 'the home’s folders (Maildir)', store: () => Promise.resolve(undefined) },
  {
    name: 'PostgreSQL',
    ...(postgresUnavailable === undefined ? {} : { skip: postgresUnavailable }),
    store: async () => {
      const database = await freshDatabase();
      cleanups.push(database.drop);
      return database.url;
    },
  },
];

for (const { name, skip, store } of stores) {
  describe.skipIf(skip !== undefined)(
    `a lost delivery report, ${name}${skippedBecause(skip)}`,
    () => {
      it('the retry with the same send id, after a server restart, stores nothing more and gets the report', async () => {
        lab = await Lab.start('enhanced', { store: await store() });
        const dropper = await reportDropper(lab.port, EMAIL_FRAME_BYTES);
        proxy = dropper.proxy;
        // The client chooses the send id before the first try, as JMAP's creation ids.
        const sendId = randomBytes(16).toString('base64url');
        const sender = await lab.signIn('client1', proxy.port);
        dropper.arm();
        const firstTry = await sender.send(draft, { sendId }).then(
          () => 'answered',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        // The report was taken by the attacker: the client saw the connection end, no report.
        expect(firstTry).not.toBe('answered');
        expect((await dropper.dropped).length).toBeGreaterThan(0);
        // The email was stored before the report went.
        expect(await copiesOf(lab, 'client2', TITLE)).toBe(1);

        await lab.restart();
        const again = await lab.signIn('client1');
        const { report } = await again.send(draft, { sendId });
        await again.terminate();
        expect(report).toEqual({
          accepted: true,
          reason: '',
          recipients: [
            { name: 'client2', status: 'delivered', reason: '' },
            { name: 'nobody', status: 'unknownUser', reason: '' },
          ],
        });
        expect(await copiesOf(lab, 'client2', TITLE)).toBe(1);

        // Another email with another send id is stored as usual.
        const other = await lab.signIn('client1');
        await other.send(draft);
        await other.terminate();
        expect(await copiesOf(lab, 'client2', TITLE)).toBe(2);
      });
    },
  );
}
