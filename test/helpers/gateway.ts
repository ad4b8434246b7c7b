import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Reply, Request } from '../../gateway/messages.js';
import { Spawned, distPath } from './processes.js';

/** A small built "UI": an index page and its script file, as vite build would leave them. */
export function makeWebRoot(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-web-'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>Sealed Mail</title><script type="module" src="/app.js"></script></head><body></body></html>\n',
  );
  writeFileSync(join(dir, 'app.js'), 'console.log("ui");\n');
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningGateway {
  process: Spawned;
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  stop: () => Promise<void>;
}

/**
 * Starts the built gateway (dist/gateway/main.js) on an ephemeral loopback port. `fileLimit`
 * runs it with that many file descriptors at most (soft and hard, so Node cannot raise it).
 */
export async function startGatewayProcess(
  args: string[],
  { fileLimit }: { fileLimit?: number } = {},
): Promise<RunningGateway> {
  // No session child started ahead unless the test asks: each is a Node start (about 0.17 s of
  // CPU) that most of a run's gateways (about 75) would end with unused.
  const spare = args.includes('--spare') ? [] : ['--spare', '0'];
  const command = [distPath('gateway/main.js'), '--listen', '127.0.0.1:0', ...spare, ...args];
  const gateway =
    fileLimit === undefined
      ? new Spawned('node', command)
      : new Spawned('sh', ['-c', `ulimit -n ${fileLimit} && exec node "$@"`, 'sh', ...command]);
  const line = await gateway.waitForLine((text) => text.includes('/?token='), 20_000, 'stdout');
  const url = new URL(/http:\/\/\S+/.exec(line)?.[0] ?? '');
  return {
    process: gateway,
    base: url.origin,
    token: url.searchParams.get('token') ?? '',
    stop: () => gateway.stop(),
  };
}

/** Trades the start-up token for the gateway's cookie, as a browser following the link does. */
export async function gatewayCookie(base: string, token: string): Promise<string> {
  const exchange = (): Promise<Response> =>
    fetch(`${base}/?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
  // A kept-alive connection the gateway closed after its 5 s idle time, just as fetch reused
  // it, fails at once: once more on a new connection.
  const response = await exchange().catch(exchange);
  const setCookie = response.headers.get('set-cookie');
  if (response.status !== 303 || !setCookie)
    throw new Error(`token exchange failed: ${response.status}`);
  return setCookie.split(';')[0] ?? '';
}

/** What the UI's `fetch('/session')` gets: the per-page secret, presented first on the socket. */
export async function pageSecret(base: string, cookie: string): Promise<string> {
  const response = await fetch(`${base}/session`, {
    headers: { cookie, 'sec-fetch-site': 'same-origin' },
  });
  const text = await response.text();
  const secret = response.status === 200 ? (JSON.parse(text) as { secret?: unknown }).secret : '';
  if (typeof secret !== 'string' || secret === '')
    throw new Error(`GET /session failed: ${response.status} ${text.slice(0, 200)}`);
  return secret;
}

export interface PageResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** Every Set-Cookie header, in order (none: empty). */
  cookies: string[];
  text: string;
  json: () => unknown;
}

/**
 * A GET over a real socket to the listening `server`, headers sent exactly as given (an empty
 * Host stays empty; undefined ones are left out). Not Fastify's inject(): the gateway names its
 * cookie after the socket's local port, which inject's stand-in socket does not have, and
 * inject fills in a Host that a test means to leave empty.
 */
export function httpGet(
  server: Server,
  path: string,
  headers: Record<string, string | undefined>,
): Promise<PageResponse> {
  const { port } = server.address() as AddressInfo;
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) sent[name] = value;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      // setHost: false, or Node would put in a Host of its own where the test's is empty.
      { host: '127.0.0.1', port, path, headers: sent, setHost: !('Host' in sent) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const flat: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(response.headers))
            flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({
            status: response.statusCode ?? 0,
            headers: flat,
            cookies: response.headers['set-cookie'] ?? [],
            text,
            json: () => JSON.parse(text) as unknown,
          });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** The refused upgrade's HTTP status, or 101 when the socket opened. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

type Outgoing = Request extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

/** A browser tab's WebSocket to the gateway, with request ids and an event queue. */
export class Browser {
  readonly socket: WebSocket;
  readonly replies: Reply[] = [];
  #nextId = 1;
  readonly #waiters = new Set<() => void>();
  #closeCode: number | undefined;
  readonly closed: Promise<{ code: number }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer) => {
      this.replies.push(JSON.parse(data.toString('utf8')) as Reply);
      for (const waiter of [...this.#waiters]) waiter();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code: number) => {
        this.#closeCode = code;
        for (const waiter of [...this.#waiters]) waiter();
        resolve({ code });
      }),
    );
  }

  /**
   * Opens a tab's socket as the UI does: fetches a page secret from `GET /session`, opens the
   * socket, presents the secret first and waits for the gateway's hello.
   */
  static async open(base: string, cookie: string, origin = base): Promise<Browser> {
    const secret = await pageSecret(base, cookie);
    const browser = await Browser.connect(base, { cookie, origin });
    browser.socket.send(JSON.stringify({ type: 'authenticate', secret }));
    await browser.next((reply) => reply.type === 'hello');
    return browser;
  }

  /** Opens a socket and sends nothing: what a page without the secret can do. */
  static async connect(
    base: string,
    headers: Record<string, string>,
    path = '/ws',
  ): Promise<Browser> {
    const socket = new WebSocket(`${base.replace('http:', 'ws:')}${path}`, {
      headers,
      maxPayload: 64 * 1024 * 1024,
    });
    const browser = new Browser(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        resolve();
      });
      socket.once('error', reject);
    });
    return browser;
  }

  /**
   * Resolves with the first reply (received so far or later) that the predicate accepts, and
   * consumes it; rejects when the socket closes without one.
   */
  next<T extends Reply = Reply>(
    predicate: (reply: Reply) => boolean,
    timeoutMs = 20_000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const check = (): boolean => {
        const index = this.replies.findIndex(predicate);
        if (index < 0) {
          if (this.#closeCode === undefined) return false;
          finish();
          reject(new Error(`the socket closed (${this.#closeCode}) without a matching reply`));
          return true;
        }
        const [found] = this.replies.splice(index, 1);
        finish();
        resolve(found as T);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `no matching reply within ${timeoutMs} ms; have ${JSON.stringify(this.replies).slice(0, 500)}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#waiters.add(check);
    });
  }

  event<K extends Reply['type']>(
    type: K,
    timeoutMs?: number,
  ): Promise<Extract<Reply, { type: K }>> {
    return this.next((reply) => reply.type === type, timeoutMs);
  }

  /** Sends a request and resolves with its answer (the reply or the error carrying its id). */
  request(message: Outgoing): Promise<Reply> {
    const id = this.#nextId++;
    this.socket.send(JSON.stringify({ ...message, id }));
    return this.next((reply) => 'id' in reply && reply.id === id);
  }

  /** Sends raw text and resolves with the error about it. */
  sendRaw(data: string | Buffer, binary = false): Promise<Reply> {
    this.socket.send(data, { binary });
    return this.next((reply) => reply.type === 'error');
  }

  signIn(
    username: string,
    password = `password${username.replace(/\D/g, '')}`,
    server = '',
  ): Promise<Reply> {
    return this.request({ type: 'signIn', server, username, password, protocol: 'classic' });
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

/** Pids of a process's children (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces: the fields after its closing parenthesis are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Every process below pid. */
export function descendantsOf(pid: number): number[] {
  const direct = childrenOf(pid);
  return [...direct, ...direct.flatMap(descendantsOf)];
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie has exited; it only waits for its parent to collect it.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until a condition holds (polling), e.g. a process being gone. */
export async function eventually(
  condition: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
