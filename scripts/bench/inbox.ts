/**
 * A large inbox through a real server: listing 10,000 emails and reading one of them by its
 * index, against reading the same email from an inbox of one. The emails are written as files
 * in the server's format, as another program (or a server of an earlier version) would leave
 * them: the first listing finds no index and builds it from the files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { formatReceivedTime, formatStoredEmail } from '../../protocol/email.js';
import { spawnMailServer } from '../lib/server-process.js';
import { percentile, timeEach } from './stats.js';

export interface InboxFigures {
  emails: number;
  first_list_ms: number;
  list_p50_ms: number;
  list_p90_ms: number;
  read_by_index_p50_ms: number;
  read_by_index_in_inbox_of_1_p50_ms: number;
}

const ROUNDS = 30;
const CONTENT = 'A short email among many.\n';

function fillInbox(folder: string, count: number, from: string): void {
  mkdirSync(folder, { recursive: true });
  const start = Date.UTC(2024, 0, 1) * 1000;
  for (let i = 0; i < count; i++) {
    const receivedAt = formatReceivedTime(start + i * 1_000_000);
    const title = `email number ${i}`;
    const text = formatStoredEmail({ from, to: ['x'], title, content: CONTENT }, receivedAt);
    writeFileSync(join(folder, `${from}_${title}.txt`), text, { mode: 0o600 });
  }
}

/** `dir` is a key setup (writeKeySetup) with client1 … client3; their inboxes are filled here. */
export async function benchInbox(dir: string, emails = 10_000): Promise<InboxFigures> {
  const home = join(dir, 'server');
  fillInbox(join(home, 'client1'), emails, 'client2');
  fillInbox(join(home, 'client3'), 1, 'client2');
  const server = await spawnMailServer({ home, args: ['--spare', '2'] });
  const signIn = (user: string): Promise<MailClient> =>
    openSession({
      host: '127.0.0.1',
      port: server.port,
      credentials: { username: user, password: `password${user.slice(-1)}` },
      keys: loadClientKeys(join(dir, user), user, { passphrase: `password${user.slice(-1)}` }),
    });
  const expectRows = async (client: MailClient, count: number): Promise<void> => {
    const { rows } = await client.listInbox();
    if (rows.length !== count) throw new Error(`listed ${rows.length} emails, not ${count}`);
  };
  const readFirst = async (client: MailClient): Promise<void> => {
    const result = await client.read(1);
    if (result.kind !== 'email') throw new Error('email 1 did not come back');
  };
  try {
    const reader = await signIn('client1');
    const [firstList = NaN] = await timeEach(1, () => expectRows(reader, emails));
    const lists = await timeEach(ROUNDS, () => expectRows(reader, emails));
    const reads = await timeEach(ROUNDS, () => readFirst(reader));
    await reader.terminate();
    const small = await signIn('client3');
    await expectRows(small, 1);
    const smallReads = await timeEach(ROUNDS, () => readFirst(small));
    await small.terminate();
    return {
      emails,
      first_list_ms: Math.round(firstList * 100) / 100,
      list_p50_ms: percentile(lists, 50),
      list_p90_ms: percentile(lists, 90),
      read_by_index_p50_ms: percentile(reads, 50),
      read_by_index_in_inbox_of_1_p50_ms: percentile(smallReads, 50),
    };
  } finally {
    await server.stop();
  }
}
