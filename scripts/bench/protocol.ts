import { join } from 'node:path';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { loadServerHome } from '../../mail-server/home.js';
import { openMailStore, type StoreSpec } from '../../mail-server/store/open-store.js';
import { formatReceivedTime, nowMicros } from '../../protocol/email.js';
import { codePointLength } from '../../protocol/text.js';
import { childPids, residentMiB, spawnMailServer } from '../lib/server-process.js';
import { percentile, timeEach } from './stats.js';

export interface ProtocolFigures {
  login_p50_ms: number;
  login_p90_ms: number;
  send_1M_chars_p50_ms: number;
  list_1000_emails_p50_ms: number;
  read_1M_chars_p50_ms: number;
  parent_rss_mib: number | undefined;
  session_child_rss_mib: number | undefined;
}

/** 1,000,000 characters of mostly ASCII text with some accented letters and emoji, as mail is. */
export const MILLION = (() => {
  const line =
    'Sealed mail carries words, numbers 0123456789, accents é à ü and the odd 😀 emoji.\n';
  const text = line.repeat(Math.ceil(1_000_000 / codePointLength(line)));
  let end = 0;
  let count = 0;
  for (const char of text) {
    if (count === 1_000_000) break;
    end += char.length;
    count++;
  }
  return text.slice(0, end);
})();

/**
 * Runs a real server of the given channel kind on loopback against a key setup (`dir` from
 * writeKeySetup) and measures what the issue asks: login, a 1,000,000-character send, listing
 * 1,000 emails, reading a 1,000,000-character email, and memory.
 */
export async function benchProtocol(
  dir: string,
  channel: ChannelKind,
  rounds = { logins: 200, sends: 20, lists: 20, reads: 20 },
  store: StoreSpec = 'files',
): Promise<ProtocolFigures> {
  const server = await spawnMailServer({
    home: join(dir, 'server'),
    enhanced: channel === 'enhanced',
    args: ['--spare', '4', '--store', store],
  });
  // Each user's private key unlocked once (scrypt, tens of milliseconds, on the client before it
  // connects): a login measures the protocol's login, not the client's key file.
  const unlocked = new Map<string, ReturnType<typeof loadClientKeys>>();
  const keysOf = (user: string): ReturnType<typeof loadClientKeys> => {
    let keys = unlocked.get(user);
    if (!keys) {
      keys = loadClientKeys(join(dir, user), user, { passphrase: `password${user.slice(-1)}` });
      unlocked.set(user, keys);
    }
    return keys;
  };
  const signIn = (user: string): Promise<MailClient> =>
    openSession({
      host: '127.0.0.1',
      port: server.port,
      channel,
      credentials: { username: user, password: `password${user.slice(-1)}` },
      keys: keysOf(user),
    });
  try {
    // Warm-up: the first sessions pay for lazy loading in the children.
    for (let i = 0; i < 10; i++) await (await signIn('client1')).terminate();

    const logins = await timeEach(rounds.logins, async () => {
      const client = await signIn('client1');
      await client.terminate();
    });

    const sender = await signIn('client2');
    const sends = await timeEach(rounds.sends, (i) =>
      sender.send({ to: ['client3'], title: `million ${i}`, content: MILLION }),
    );
    await sender.terminate();

    // An inbox of 1,000 emails, stored as the server stores them.
    const inbox = await openMailStore(store, loadServerHome(join(dir, 'server')));
    for (let i = 0; i < 1000; i++) {
      const content = `body ${i}\n`.repeat(20);
      await inbox.deliver(
        {
          email: { from: 'client5', to: ['client4'], title: `email number ${i}`, content },
          contentLength: codePointLength(content),
          receivedAt: formatReceivedTime(nowMicros()),
        },
        ['client4'],
      );
    }
    await inbox.close();
    const lister = await signIn('client4');
    const lists = await timeEach(rounds.lists, async () => {
      const { rows } = await lister.listInbox();
      if (rows.length !== 1000) throw new Error(`listed ${rows.length} emails, not 1000`);
    });

    const reader = await signIn('client3');
    const { rows } = await reader.listInbox();
    const reads = await timeEach(rounds.reads, async (i) => {
      const result = await reader.read(rows[i % rows.length]?.index ?? 1);
      if (result.kind !== 'email' || result.email?.contentLength !== 1_000_000)
        throw new Error('the email did not come back whole');
    });

    const pid = server.child.pid ?? 0;
    const busyChildren = childPids(pid)
      .map(residentMiB)
      .filter((rss): rss is number => rss !== undefined);
    await Promise.all([lister.terminate(), reader.terminate()]);
    return {
      login_p50_ms: percentile(logins, 50),
      login_p90_ms: percentile(logins, 90),
      send_1M_chars_p50_ms: percentile(sends, 50),
      list_1000_emails_p50_ms: percentile(lists, 50),
      read_1M_chars_p50_ms: percentile(reads, 50),
      parent_rss_mib: residentMiB(pid),
      session_child_rss_mib: busyChildren.length > 0 ? Math.max(...busyChildren) : undefined,
    };
  } finally {
    await server.stop();
  }
}
