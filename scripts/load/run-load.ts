import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadClientKeys, type LoadedClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { percentile } from '../bench/stats.js';
import { checkInboxes, seedFilesTexts, type IntegrityReport, type SentEmail } from './integrity.js';

export interface LoadOptions {
  /** A key setup made by writeKeySetup; the server must serve `dir/server`. */
  dir: string;
  users: readonly string[];
  /** The mail-server hosts' ports on loopback; client i starts with host i mod their number. */
  ports: readonly number[];
  /** The stored texts of a user's emails; by default, the files of the seed-files inbox. */
  storedTexts?: (user: string) => Promise<string[]>;
  channel: ChannelKind;
  clients: number;
  /** How long the steady state lasts, after the burst of logins. */
  seconds: number;
  /**
   * false (the default): each client logs in once, all at the same moment, then loops send /
   * list / read(1) on that session. true: each round is a new session (log in, send, list,
   * read the newest, quit), so that sessions queue and change processes all the time.
   */
  reconnect?: boolean;
  /** The content's length range, in characters (default 20 to 800), drawn per send. */
  contentChars?: { min: number; max: number };
  /** Which row a round reads: an index from 1 (default 1), or the newest row. */
  readIndex?: number | 'newest';
  /** Called every `progressMs` (default 2 s) of the steady state with the operations so far. */
  onProgress?: (progress: { seconds: number; operations: number }) => void;
  progressMs?: number;
  /** How long a client waits for any one answer before it gives up (default 30 s). */
  replyTimeoutMs?: number;
  /**
   * Called when the steady state begins (every client of the burst logged in or gave up) and
   * when it ends.
   */
  onSteadyState?: (phase: 'start' | 'end') => void;
}

type Operation = 'login' | 'send' | 'list' | 'read' | 'quit';

interface Summary {
  count: number;
  p50: number;
  p99: number;
}

export interface LoadReport {
  clients: number;
  mode: 'sessions' | 'reconnect';
  /** Each client's first login, all arriving at once: ms after the burst began. */
  burst: { logged_in: number; failed: number; first_ms: number; p50_ms: number; last_ms: number };
  /** After the burst: every operation that completed, per second of the steady state. */
  steady: { seconds: number; operations: number; operations_per_second: number };
  latency_ms: Record<Operation, Summary>;
  errors: number;
  error_samples: string[];
  integrity: IntegrityReport;
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');
const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Every host, starting with client `id`'s own: the others are its fallbacks. */
const serverList = (ports: readonly number[], id: number): string =>
  ports.map((_, i) => `127.0.0.1:${ports[(id + i) % ports.length] ?? 0}`).join(',');

/**
 * N concurrent protocol clients against a real server: a burst of logins, a steady state of
 * operations for the given time, then a check of every inbox: each email whose send completed
 * must be stored exactly once and whole.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const latencies: Record<Operation, number[]> = {
    login: [],
    send: [],
    list: [],
    read: [],
    quit: [],
  };
  const firstLogins: number[] = [];
  const sent: SentEmail[] = [];
  const errors: string[] = [];
  const replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
  let steadyStart = 0;
  let steadyEnd = 0;
  let steadyOperations = 0;
  const timed = async <T>(operation: Operation, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    const end = performance.now();
    latencies[operation].push(end - start);
    if (end >= steadyStart && end <= steadyEnd) steadyOperations++;
    return result;
  };

  // Each client machine unlocks its key once; the load measures the server, not scrypt.
  const unlocked = new Map<string, LoadedClientKeys>();
  const passwordOf = (user: string): string => `password${options.users.indexOf(user) + 1}`;
  const keysOf = (user: string): LoadedClientKeys => {
    let keys = unlocked.get(user);
    if (!keys) {
      keys = loadClientKeys(join(options.dir, user), user, { passphrase: passwordOf(user) });
      unlocked.set(user, keys);
    }
    return keys;
  };

  // Unlocked before the burst: unlocking (scrypt, tens of milliseconds each, on this process's
  // one thread) inside it held up every client's login, the more so the more users.
  for (const user of options.users) keysOf(user);
  const burstStart = performance.now();
  const signIn = (user: string, id: number): Promise<MailClient> =>
    openSession({
      host: serverList(options.ports, id),
      port: 0,
      channel: options.channel,
      credentials: { username: user, password: passwordOf(user) },
      keys: keysOf(user),
      replyTimeoutMs,
      connectTimeoutMs: replyTimeoutMs,
    });
  const logIn = async (user: string, id: number, first: boolean): Promise<MailClient> => {
    const client = await timed('login', () => signIn(user, id));
    if (first) firstLogins.push(performance.now() - burstStart);
    return client;
  };

  const { min: minChars, max: maxChars } = options.contentChars ?? { min: 20, max: 800 };
  /** A content of a length in the range, the same for the same client and round. */
  const contentOf = (id: number, round: number): string => {
    const head = `client ${id} round ${round}\n`;
    const length = minChars + ((id * 7919 + round * 104729) % (maxChars - minChars + 1));
    return (head + 'x'.repeat(Math.max(0, length - head.length))).slice(0, Math.max(1, length));
  };

  /** One send, list and read on a session; `newest` reads the last row, else options.readIndex. */
  const operate = async (
    client: MailClient,
    id: number,
    round: number,
    newest: boolean,
  ): Promise<void> => {
    const recipient = options.users[(id + round + 1) % options.users.length] ?? 'client1';
    const title = `load ${id}-${round}`;
    const content = contentOf(id, round);
    await timed('send', () => client.send({ to: [recipient], title, content }));
    sent.push({ title, recipient, digest: digestOf(content) });
    const { rows } = await timed('list', () => client.listInbox());
    const wanted = newest ? 'newest' : (options.readIndex ?? 1);
    const index = wanted === 'newest' ? rows.at(-1)?.index : Math.min(wanted, rows.length);
    if (rows.length > 0 && index !== undefined) await timed('read', () => client.read(index));
  };

  // The steady state ends at its time, or when the clients stop before the timer has fired.
  let endTimer: NodeJS.Timeout | undefined;
  let ended = false;
  const endSteady = (): void => {
    clearTimeout(endTimer);
    if (ended) return;
    ended = true;
    options.onSteadyState?.('end');
  };

  // In session mode, the steady state starts once every client has logged in or given up.
  let arrived = 0;
  let endBurst: () => void = () => undefined;
  const burstOver = new Promise<void>((resolve) => {
    endBurst = () => {
      steadyStart = performance.now();
      steadyEnd = steadyStart + options.seconds * 1000;
      options.onSteadyState?.('start');
      endTimer = setTimeout(endSteady, options.seconds * 1000);
      const progress = setInterval(() => {
        const seconds = (performance.now() - steadyStart) / 1000;
        if (seconds < options.seconds)
          options.onProgress?.({ seconds: round(seconds), operations: steadyOperations });
      }, options.progressMs ?? 2000);
      setTimeout(() => {
        clearInterval(progress);
      }, options.seconds * 1000);
      resolve();
    };
  });
  const arrive = (): void => {
    if (++arrived === options.clients) endBurst();
  };

  const sessionClient = async (id: number, user: string): Promise<void> => {
    let client: MailClient | undefined;
    try {
      client = await logIn(user, id, true).finally(arrive);
      await burstOver;
      for (let round = 0; performance.now() < steadyEnd; round++)
        await operate(client, id, round, false);
      const active = client;
      await timed('quit', () => active.terminate());
    } catch (error) {
      client?.destroy();
      errors.push(`client ${id}: ${(error as Error).message}`);
    }
  };

  const reconnectingClient = async (id: number, user: string): Promise<void> => {
    for (let round = 0; performance.now() < steadyEnd; round++) {
      let client: MailClient | undefined;
      try {
        client = await logIn(user, id, round === 0);
        await operate(client, id, round, true);
        const active = client;
        await timed('quit', () => active.terminate());
      } catch (error) {
        client?.destroy();
        errors.push(`client ${id}: ${(error as Error).message}`);
      }
    }
  };

  if (options.reconnect) endBurst();
  const client = options.reconnect ? reconnectingClient : sessionClient;
  await Promise.all(
    Array.from({ length: options.clients }, (_, id) =>
      client(id, options.users[id % options.users.length] ?? 'client1'),
    ),
  );
  endSteady();
  const elapsed = (Math.min(performance.now(), steadyEnd) - steadyStart) / 1000;

  const summary = (list: number[]): Summary => ({
    count: list.length,
    p50: percentile(list, 50),
    p99: percentile(list, 99),
  });
  return {
    clients: options.clients,
    mode: options.reconnect ? 'reconnect' : 'sessions',
    burst: {
      logged_in: firstLogins.length,
      failed: options.clients - firstLogins.length,
      first_ms: round(Math.min(...firstLogins)),
      p50_ms: round(percentile(firstLogins, 50)),
      last_ms: round(Math.max(...firstLogins)),
    },
    steady: {
      seconds: round(elapsed),
      operations: steadyOperations,
      operations_per_second: Math.round(steadyOperations / elapsed),
    },
    latency_ms: {
      login: summary(latencies.login),
      send: summary(latencies.send),
      list: summary(latencies.list),
      read: summary(latencies.read),
      quit: summary(latencies.quit),
    },
    errors: errors.length,
    error_samples: errors.slice(0, 5),
    integrity: await checkInboxes(
      options.users,
      sent,
      options.storedTexts ?? ((user) => Promise.resolve(seedFilesTexts(options.dir, user))),
    ),
  };
}
