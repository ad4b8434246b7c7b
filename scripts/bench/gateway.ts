/**
 * The gateway's figures: a browser's sign-in to its first inbox listing, a read round trip
 * (and what the gateway adds to it), a 1,000,000-character send, and one session child's memory.
 * Real processes on loopback: the mail server, the gateway (in this process) and its children.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import type { ChannelKind, Reply } from '../../gateway/messages.js';
import { buildGateway, type Gateway } from '../../gateway/web-bridge/app.js';
import { codePointLength } from '../../protocol/text.js';
import { writeKeySetup } from '../key-setup.js';
import { residentMiB, spawnMailServer } from '../lib/server-process.js';
import { percentile, timeEach } from './stats.js';

const ROUNDS = { signIns: 20, reads: 50, sends: 5 };

/** 1,000,000 characters of mixed text (ASCII, accents, emoji). */
function millionCharacters(): string {
  const line = 'Sealed mail through the gateway: words, 0123456789, é à ü and 😀.\n';
  const text = line.repeat(Math.ceil(1_000_000 / codePointLength(line)));
  return Array.from(text).slice(0, 1_000_000).join('');
}

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Starts a built gateway on a loopback port and trades its token for the cookie, as a browser does. */
export async function listenForBrowsers(
  gateway: Gateway,
): Promise<{ base: string; cookie: string }> {
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  const exchange = await fetch(`${base}/?token=${gateway.token}`, { redirect: 'manual' });
  return { base, cookie: exchange.headers.get('set-cookie')?.split(';')[0] ?? '' };
}

/** A browser tab's socket, reduced to what the benchmarks need. */
export class Tab {
  readonly #socket: WebSocket;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #nextId = 1;

  /** Called with each event the gateway pushes (new mail, a session that ended). */
  onEvent: (reply: Reply) => void = () => undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8')) as Reply;
      if (!('id' in reply) || reply.id === null) {
        this.onEvent(reply);
        return;
      }
      const waiter = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      waiter?.(reply);
    });
  }

  static async open(base: string, cookie: string): Promise<Tab> {
    // As the UI does: a page secret from GET /session, presented first on the socket.
    const session = await fetch(`${base}/session`, {
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    });
    const { secret } = (await session.json()) as { secret: string };
    const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, {
      headers: { cookie, origin: base },
      maxPayload: 64 * 1024 * 1024,
    });
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'authenticate', secret }));
    });
    const hello = new Promise<void>((resolve, reject) => {
      socket.once('message', () => {
        resolve();
      });
      socket.once('error', reject);
    });
    const tab = new Tab(socket);
    await hello;
    return tab;
  }

  /** Sends a request; resolves with its answer, or throws the gateway's error. */
  async ask<T extends Reply['type']>(
    expected: T,
    message: Record<string, unknown>,
  ): Promise<Extract<Reply, { type: T }>> {
    const id = this.#nextId++;
    const answer = new Promise<Reply>((resolve) => {
      this.#waiting.set(id, resolve);
    });
    this.#socket.send(JSON.stringify({ ...message, id }));
    const reply = await answer;
    if (reply.type !== expected)
      throw new Error(`expected ${expected}, got ${JSON.stringify(reply).slice(0, 200)}`);
    return reply as Extract<Reply, { type: T }>;
  }

  signIn(
    username: string,
    protocol: ChannelKind = 'classic',
  ): Promise<Extract<Reply, { type: 'signedIn' }>> {
    const password = `password${username.replace(/\D/g, '')}`;
    return this.ask('signedIn', { type: 'signIn', server: '', username, password, protocol });
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.#socket.once('close', resolve));
    this.#socket.close();
    await closed;
  }
}

export async function benchGateway(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-bench-gateway-'));
  const users = ['client1', 'client2', 'client3'];
  await writeKeySetup({ out: dir, users });
  const server = await spawnMailServer({ home: join(dir, 'server'), args: ['--spare', '4'] });
  const gateway = await buildGateway({
    keysDir: dir,
    servers: { classic: [{ host: '127.0.0.1', port: server.port }] },
    webRoot: join(dir, 'no-ui'),
    pollSeconds: 0,
  });
  try {
    const { base, cookie } = await listenForBrowsers(gateway);

    // A signed-in session with mail to read.
    const tab = await Tab.open(base, cookie);
    await tab.signIn('client1');
    await tab.ask('sent', {
      type: 'send',
      to: ['client1'],
      title: 'short',
      content: 'A short email.',
    });

    // Sign-in to the first listing, as a browser does it: its socket is already open, and
    // sign-ins are not back to back (the gateway starts the next session process meanwhile).
    const signInSpans: number[] = [];
    for (let i = 0; i < ROUNDS.signIns; i++) {
      await pause(200);
      const other = await Tab.open(base, cookie);
      const start = performance.now();
      await other.signIn('client2');
      await other.ask('inbox', { type: 'listInbox' });
      signInSpans.push(performance.now() - start);
      await other.close();
    }

    const reads = await timeEach(ROUNDS.reads, () => tab.ask('email', { type: 'read', index: 1 }));
    const direct = await openSession({
      host: '127.0.0.1',
      port: server.port,
      credentials: { username: 'client1', password: 'password1' },
      keys: loadClientKeys(dir, 'client1', { passphrase: 'password1' }),
    });
    const directReads = await timeEach(ROUNDS.reads, () => direct.read(1));
    await direct.terminate();

    const million = millionCharacters();
    const sends = await timeEach(ROUNDS.sends, () =>
      // Unsealed: a million characters sealed would exceed the protocol's limit.
      tab.ask('sent', {
        type: 'send',
        to: ['client3'],
        title: 'a million',
        content: million,
        unsealed: true,
      }),
    );

    const [childPid] = gateway.childPids();
    const childRss = childPid === undefined ? undefined : residentMiB(childPid);
    await tab.close();

    const readP50 = percentile(reads, 50);
    const directP50 = percentile(directReads, 50);
    return {
      signin_to_first_inbox_p50_ms: percentile(signInSpans, 50),
      signin_to_first_inbox_p90_ms: percentile(signInSpans, 90),
      read_round_trip_p50_ms: readP50,
      read_direct_client_p50_ms: directP50,
      read_gateway_overhead_p50_ms: Math.round((readP50 - directP50) * 100) / 100,
      send_1M_chars_p50_ms: percentile(sends, 50),
      session_child_rss_mib: childRss ?? 'unknown',
    };
  } finally {
    await gateway.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
