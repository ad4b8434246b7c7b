import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { parseStoredEmail } from '../../protocol/email.js';
import { percentile } from '../bench/stats.js';

export interface LoadOptions {
  /** A key setup made by writeKeySetup; the server must serve `dir/server`. */
  dir: string;
  users: readonly string[];
  /** The mail-server hosts' ports on loopback; client i starts with host i mod their number. */
  ports: readonly number[];
  /** The stored texts of a user's emails; by default, the files of the Maildir inbox. */
  storedTexts?: (user: string) => Promise<string[]>;
  channel: ChannelKind;
  clients: number;
  seconds: number;
}

/** first_login: each client's first login, when the whole crowd arrives at once. */
type Operation = 'first_login' | 'login' | 'send' | 'list' | 'read' | 'quit';

interface SentEmail {
  title: string;
  recipient: string;
  digest: string;
}

export interface LoadReport {
  clients: number;
  seconds: number;
  operations: number;
  operations_per_second: number;
  errors: number;
  error_samples: string[];
  latency_ms: Record<Operation, { count: number; p50: number; p99: number }>;
  integrity: {
    sends_completed: number;
    stored_once_and_whole: number;
    missing: number;
    duplicated: number;
    damaged: number;
  };
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Every host, starting with client `id`'s own: the others are its fallbacks. */
const serverList = (ports: readonly number[], id: number): string =>
  ports.map((_, i) => `127.0.0.1:${ports[(id + i) % ports.length] ?? 0}`).join(',');

function maildirTexts(dir: string, user: string): string[] {
  const folder = join(dir, 'server', user);
  return readdirSync(folder)
    .filter((file) => file.endsWith('.txt'))
    .map((file) => readFileSync(join(folder, file), 'utf8'));
}

/**
 * N concurrent protocol clients, each signing in, sending, listing and reading in a loop for
 * the given time, then a check of every inbox: each email whose send completed must be stored
 * exactly once and whole.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const latencies: Record<Operation, number[]> = {
    first_login: [],
    login: [],
    send: [],
    list: [],
    read: [],
    quit: [],
  };
  const sent: SentEmail[] = [];
  const errors: string[] = [];
  const deadline = Date.now() + options.seconds * 1000;
  const timed = async <T>(operation: Operation, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    latencies[operation].push(performance.now() - start);
    return result;
  };

  const worker = async (id: number): Promise<void> => {
    const user = options.users[id % options.users.length] ?? 'client1';
    const keys = loadClientKeys(join(options.dir, user), user);
    let round = 0;
    while (Date.now() < deadline) {
      let client: MailClient | undefined;
      try {
        client = await timed(round === 0 ? 'first_login' : 'login', () =>
          openSession({
            host: serverList(options.ports, id),
            port: 0,
            channel: options.channel,
            credentials: { username: user, password: `password${options.users.indexOf(user) + 1}` },
            keys,
            replyTimeoutMs: 120_000,
            connectTimeoutMs: 120_000,
          }),
        );
        const recipient = options.users[(id + round + 1) % options.users.length] ?? 'client1';
        const title = `load ${id}-${round}`;
        const content = `client ${id} round ${round}\n${'x'.repeat((id * 7919 + round * 104729) % 5000)}`;
        const active = client;
        await timed('send', () => active.send({ to: [recipient], title, content }));
        sent.push({ title, recipient, digest: digestOf(content) });
        const { rows } = await timed('list', () => active.listInbox());
        if (rows.length > 0)
          await timed('read', () => active.read(rows[rows.length - 1]?.index ?? 1));
        await timed('quit', () => active.terminate());
      } catch (error) {
        client?.destroy();
        errors.push(`client ${id}: ${(error as Error).message}`);
      }
      round++;
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: options.clients }, (_, id) => worker(id)));
  const elapsed = (performance.now() - started) / 1000;

  const integrity = {
    sends_completed: sent.length,
    stored_once_and_whole: 0,
    missing: 0,
    duplicated: 0,
    damaged: 0,
  };
  const inboxes = new Map<string, Map<string, string[]>>();
  const storedTexts =
    options.storedTexts ?? ((user) => Promise.resolve(maildirTexts(options.dir, user)));
  for (const user of options.users) {
    const byTitle = new Map<string, string[]>();
    for (const text of await storedTexts(user)) {
      try {
        const email = parseStoredEmail(text);
        byTitle.set(email.title, [...(byTitle.get(email.title) ?? []), digestOf(email.content)]);
      } catch {
        integrity.damaged++;
      }
    }
    inboxes.set(user, byTitle);
  }
  for (const email of sent) {
    const copies = inboxes.get(email.recipient)?.get(email.title) ?? [];
    if (copies.length === 0) integrity.missing++;
    else if (copies.length > 1) integrity.duplicated++;
    else if (copies[0] !== email.digest) integrity.damaged++;
    else integrity.stored_once_and_whole++;
  }

  const operations = Object.values(latencies).reduce((sum, list) => sum + list.length, 0);
  const summary = (list: number[]): { count: number; p50: number; p99: number } => ({
    count: list.length,
    p50: percentile(list, 50),
    p99: percentile(list, 99),
  });
  return {
    clients: options.clients,
    seconds: Math.round(elapsed * 10) / 10,
    operations,
    operations_per_second: Math.round(operations / elapsed),
    errors: errors.length,
    error_samples: errors.slice(0, 5),
    latency_ms: {
      first_login: summary(latencies.first_login),
      login: summary(latencies.login),
      send: summary(latencies.send),
      list: summary(latencies.list),
      read: summary(latencies.read),
      quit: summary(latencies.quit),
    },
    integrity,
  };
}
