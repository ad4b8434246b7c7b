/**
 * Sealed mail end to end: the real enhanced server (dist/) on loopback, on the seed-files store
 * and on PostgreSQL, and clients sealing and opening with the client library. The server's
 * operator is played through the server's own store: what it keeps is looked at, edited and
 * delivered again to someone else, and the recipients' clients must notice.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { SealedMail, type OpenedEmail } from '../../gateway/protocol-client/sealed-mail.js';
import { loadServerHome } from '../../mail-server/home.js';
import type { MailStore } from '../../mail-server/store/mail-store.js';
import { openMailStore, type StoreSpec } from '../../mail-server/store/open-store.js';
import { EmailError, parseStoredEmail, type StoredEmail } from '../../protocol/email.js';
import { MAX_CONTENT_CHARS } from '../../protocol/limits.js';
import { armour, unarmour } from '../../protocol/sealed/armour.js';
import { decodeSealedEmail } from '../../protocol/sealed/format.js';
import { codePointLength } from '../../protocol/text.js';
import { signIn } from '../helpers/client.js';
import { makeKeySetup, serverHome, setupKeys } from '../helpers/keys.js';
import {
  adminQuery,
  freshDatabase,
  postgresUnavailable,
  skippedBecause,
} from '../helpers/postgres.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'];
/** Words that must never be found in what the server keeps. */
const SECRET = 'Zanzibar-7731 is the vault code';

/** A user signed in on the enhanced protocol, with their private key and keyring. */
interface Person {
  client: MailClient;
  sealed: SealedMail;
}

function storeSuite(kind: 'files' | 'postgres', unavailable: string | undefined): void {
  describe.skipIf(unavailable !== undefined)(
    `sealed mail on the ${kind} store${skippedBecause(unavailable)}`,
    () => {
      let keys: { dir: string; cleanup: () => void };
      let database: { url: StoreSpec; name: string; drop: () => Promise<void> } | undefined;
      let server: RunningServer;
      /** The operator's own handle on the server's store. */
      let store: MailStore;
      const people: Person[] = [];

      beforeAll(async () => {
        keys = await makeKeySetup(USERS);
        database = kind === 'postgres' ? await freshDatabase() : undefined;
        const spec: StoreSpec = database?.url ?? 'files';
        server = await startMailServer(
          serverHome(keys.dir),
          ['--store', spec],
          'mail-server/main-enhanced.js',
        );
        store = await openMailStore(spec, loadServerHome(serverHome(keys.dir)));
      });
      afterEach(async () => {
        await Promise.all(
          people.splice(0).map(async ({ client }) => {
            await client.terminate().catch(() => undefined);
            client.destroy();
          }),
        );
      });
      afterAll(async () => {
        await store.close();
        await server.stop();
        await database?.drop();
        keys.cleanup();
      });

      async function person(user: string): Promise<Person> {
        const client = await signIn(server.port, keys.dir, user, undefined, 'enhanced');
        const privateKey = setupKeys(keys.dir, user).privateKey();
        const keyring = new Keyring(keyringFolder(join(keys.dir, user), user));
        const one = { client, sealed: new SealedMail(client, privateKey, keyring) };
        people.push(one);
        return one;
      }

      /** The newest email titled `title` in the user's inbox (or the one of id `id`), read and opened. */
      async function readOpened(
        reader: Person,
        title: string,
        id?: string,
      ): Promise<{ stored: StoredEmail; opened: OpenedEmail | undefined }> {
        const { rows } = await reader.client.listInbox();
        const row = rows.findLast((each) => each.title === title && (id ?? each.id) === each.id);
        if (!row?.id) throw new Error(`no ${title} in ${reader.client.username}'s inbox`);
        const result = await reader.client.read({ id: row.id });
        if (result.kind !== 'email' || !result.email) throw new Error(`${title} cannot be read`);
        return { stored: result.email, opened: await reader.sealed.open(result.email) };
      }

      /** What the operator sees of a user's copy titled `title`, and its id. */
      async function storedCopy(
        user: string,
        title: string,
      ): Promise<{ id: string; text: string }> {
        const row = (await store.list(user)).findLast((each) => each.title === title);
        const text = row && (await store.read(user, { id: row.id }));
        if (!row || text === undefined) throw new Error(`the store has no ${title} of ${user}`);
        return { id: row.id, text };
      }

      /** The operator stores an email of its making in a user's inbox; resolves with its id. */
      async function operatorDelivers(user: string, email: StoredEmail): Promise<string> {
        const [outcome] = await store.deliver(
          { email, contentLength: codePointLength(email.content), receivedAt: email.receivedAt },
          [user],
        );
        if (outcome?.status !== 'delivered')
          throw new Error(`not delivered: ${JSON.stringify(outcome)}`);
        return outcome.id;
      }

      /** Everything the server keeps, as text: every file under its home, or every row of its database. */
      async function everythingStored(): Promise<string> {
        const texts: string[] = [];
        const walk = (folder: string): void => {
          for (const name of readdirSync(folder)) {
            const path = join(folder, name);
            if (statSync(path).isDirectory()) walk(path);
            else texts.push(readFileSync(path).toString('latin1'));
          }
        };
        walk(serverHome(keys.dir));
        if (database) {
          const tables = await adminQuery(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            database.name,
          );
          for (const { tablename } of tables.rows) {
            const rows = await adminQuery(`SELECT * FROM ${String(tablename)}`, database.name);
            for (const row of rows.rows)
              for (const value of Object.values(row))
                texts.push(
                  Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value),
                );
          }
        }
        return texts.join('\n');
      }

      it('round-trips for one recipient and for four: each opens it verified; the server keeps no word of the content', async () => {
        const sender = await person('client1');
        const toOne = await sender.sealed.send({
          to: ['client2'],
          title: 'For one',
          content: `${SECRET}, for client2 only.`,
        });
        expect(toOne.readers.map((reader) => reader.name)).toEqual(['client2', 'client1']);
        const many = ['client2', 'client3', 'client4', 'client5'];
        const content = `${SECRET} 😀 — for all four.`;
        const toMany = await sender.sealed.send({ to: many, title: 'For four', content });
        expect(toMany.report?.recipients.every((each) => each.status === 'delivered')).toBe(true);
        expect(toMany.withoutKey).toEqual([]);

        const { opened } = await readOpened(await person('client2'), 'For one');
        expect(opened).toMatchObject({ verified: true, content: `${SECRET}, for client2 only.` });
        for (const user of many) {
          const read = await readOpened(await person(user), 'For four');
          expect(read.opened).toMatchObject({
            verified: true,
            signedBy: 'client1',
            from: 'client1',
            to: many,
            title: 'For four',
            content,
          });
          expect(read.opened?.problem).toBeUndefined();
        }
        const stored = await everythingStored();
        expect(stored).not.toContain('Zanzibar');
        expect(stored).not.toContain(Buffer.from('Zanzibar').toString('base64').slice(0, 8));
        // The title is left in clear for the listing, by design (docs/SEALED.md), and signed.
        expect(stored).toContain('For four');
      });

      it('round-trips 1,000,000 characters of emoji and accents; one more is refused before anything is sent', async () => {
        const sender = await person('client1');
        const content = '😀é sealed🔒'.repeat(100_000);
        expect(codePointLength(content)).toBe(MAX_CONTENT_CHARS);
        await sender.sealed.send({ to: ['client3'], title: 'A million', content });
        const { opened } = await readOpened(await person('client3'), 'A million');
        expect(opened?.verified).toBe(true);
        expect(opened?.contentLength).toBe(MAX_CONTENT_CHARS);
        expect(opened?.content === content).toBe(true);
        await expect(
          sender.sealed.send({ to: ['client3'], title: 'Too long', content: `${content}!` }),
        ).rejects.toBeInstanceOf(EmailError);
        expect((await store.list('client3')).map((row) => row.title)).not.toContain('Too long');
      });

      it('a byte changed by the operator in any field of a stored sealed email is found on reading, and nothing of it shown', async () => {
        const sender = await person('client1');
        await sender.sealed.send({ to: ['client2', 'client3'], title: 'Fields', content: SECRET });
        const original = await storedCopy('client2', 'Fields');
        const email = parseStoredEmail(original.text);
        const blob = unarmour(email.content);
        const sealed = decodeSealedEmail(blob);
        const after = (part: Buffer, from = 0): number => blob.indexOf(part, from);
        const senderAt = 8 + 1 + 2;
        const titleAt = senderAt + sealed.sender.length + 8 + 2;
        const fields: Record<string, number> = {
          magic: 0,
          'format version': 8,
          sender: senderAt + 6,
          'signing time': titleAt - 3,
          title: titleAt,
          'recipients list': after(Buffer.from('client3'), titleAt + 6) + 6,
          'key holder': after(sealed.keys[0]?.fingerprint ?? Buffer.alloc(1)) - 1,
          'key fingerprint': after(sealed.keys[0]?.fingerprint ?? Buffer.alloc(1)),
          'wrapped key': after(sealed.keys[0]?.wrapped ?? Buffer.alloc(1)) + 100,
          'key commitment': after(sealed.commitment),
          nonce: after(sealed.nonce),
          ciphertext: after(sealed.ciphertext) + 3,
          tag: after(sealed.tag) + 15,
          signature: blob.length - 1,
        };
        const reader = await person('client2');
        for (const [field, at] of Object.entries(fields)) {
          expect(at, field).toBeGreaterThanOrEqual(0);
          const altered = Buffer.from(blob);
          altered[at] = (altered[at] ?? 0) ^ 0x01;
          const id = await operatorDelivers('client2', { ...email, content: armour(altered) });
          const { opened } = await readOpened(reader, 'Fields', id);
          expect(opened?.verified, field).toBe(false);
          expect(opened?.content, field).toBeUndefined();
          expect(opened?.warning, field).toMatch(/Its content is not shown\.$/);
          await reader.client.delete(id);
        }
        // The untouched copy is still there, and still opens.
        expect((await readOpened(reader, 'Fields', original.id)).opened).toMatchObject({
          verified: true,
          content: SECRET,
        });
      });

      it('re-addressed or replayed by the operator to someone it was not sealed for, it does not open for them', async () => {
        const sender = await person('client1');
        await sender.sealed.send({ to: ['client2'], title: 'Private', content: SECRET });
        const email = parseStoredEmail((await storedCopy('client2', 'Private')).text);
        const outsider = await person('client5');
        // Replayed as it is, then re-addressed to the outsider on the server's To line.
        for (const to of [email.to, ['client5']]) {
          await operatorDelivers('client5', { ...email, to });
          const { opened } = await readOpened(outsider, 'Private');
          expect(opened).toMatchObject({ verified: false, problem: 'NOT_FOR_YOU' });
          expect(opened?.content).toBeUndefined();
          expect(opened?.warning).toContain('only for client2, client1');
          await outsider.client.delete((await storedCopy('client5', 'Private')).id);
        }
        // Replayed to a recipient it was sealed for, it opens, as the very email it is.
        await operatorDelivers('client2', email);
        const { rows } = await (await person('client2')).client.listInbox();
        expect(rows.filter((row) => row.title === 'Private')).toHaveLength(2);
      });

      it('the plain path still works on the same server: an unsealed email is stored and read as before', async () => {
        const sender = await person('client4');
        await sender.client.send({ to: ['client5'], title: 'Plain', content: 'plain words' });
        expect((await storedCopy('client5', 'Plain')).text).toMatch(/\nplain words$/);
        const { stored, opened } = await readOpened(await person('client5'), 'Plain');
        expect(stored.content).toBe('plain words');
        expect(opened).toBeUndefined();
      });
    },
  );
}

storeSuite('files', undefined);
storeSuite('postgres', postgresUnavailable);
