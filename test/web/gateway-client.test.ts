import { describe, expect, it, vi } from 'vitest';
import type { Reply } from '../../gateway/messages.js';
import {
  GatewayClient,
  GatewayRequestError,
  gatewaySocketUrl,
  type CloseCause,
  type FetchLike,
  type GatewayEvent,
  type SocketLike,
} from '../../web/src/lib/gateway-client.js';
import { describeError } from '../../web/src/lib/errors.js';
import { keyNotUnlocked } from '../../gateway/sign-in-texts.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  bufferedAmount = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code?: number }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1005): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(reply: Reply): void {
    this.onmessage?.({ data: JSON.stringify(reply) });
  }
}

/** What `GET /session` answers, as a fake fetch; `calls` records each request. */
function fakeFetch(answer: () => Promise<{ status: number; body: unknown }>): {
  fetch: FetchLike;
  calls: { url: string; init: unknown }[];
} {
  const calls: { url: string; init: unknown }[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      const { status, body } = await answer();
      return { status, json: () => Promise.resolve(body) };
    },
  };
}

const secretAnswer =
  (secret = 'page-secret') =>
  () =>
    Promise.resolve({ status: 200, body: { secret } });

/** A client whose open() has fetched a secret and whose socket is open. */
async function setup(): Promise<{
  client: GatewayClient;
  socket: FakeSocket;
  events: GatewayEvent[];
  closes: CloseCause[];
}> {
  const socket = new FakeSocket();
  const events: GatewayEvent[] = [];
  const closes: CloseCause[] = [];
  let connected!: () => void;
  const connecting = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const client = new GatewayClient({
    connect: () => {
      connected();
      return socket;
    },
    onEvent: (event) => events.push(event),
    onClose: (cause) => closes.push(cause),
    fetch: fakeFetch(secretAnswer()).fetch,
  });
  client.open();
  await connecting;
  socket.open();
  socket.sent.length = 0;
  return { client, socket, events, closes };
}

/** open() against a /session that answers `answer`: whether a socket was made, and the close causes. */
async function openAgainst(
  answer: () => Promise<{ status: number; body: unknown }>,
): Promise<{ connected: boolean; closes: CloseCause[] }> {
  let connected = false;
  const closes: CloseCause[] = [];
  const closed = new Promise<void>((resolve) => {
    const client = new GatewayClient({
      connect: () => {
        connected = true;
        return new FakeSocket();
      },
      onEvent: () => undefined,
      onClose: (cause) => {
        closes.push(cause);
        resolve();
      },
      fetch: fakeFetch(answer).fetch,
    });
    client.open();
  });
  await closed;
  return { connected, closes };
}

describe('web UI gateway client', () => {
  it('numbers requests and pairs replies by id, in any order', async () => {
    const { client, socket } = await setup();
    const list = client.request({ type: 'listInbox' });
    const read = client.request({ type: 'read', index: 2 });
    expect(socket.sent).toEqual([
      { type: 'listInbox', id: 1 },
      { type: 'read', id: 2, index: 2 },
    ]);
    const email = {
      index: 2,
      from: 'a',
      to: ['b'],
      receivedAt: 't',
      title: 'x',
      contentLength: 1,
      content: 'y',
      raw: 'r',
    };
    socket.reply({ type: 'email', id: 2, email });
    socket.reply({ type: 'inbox', id: 1, items: [] });
    await expect(read).resolves.toEqual({ type: 'email', id: 2, email });
    await expect(list).resolves.toEqual({ type: 'inbox', id: 1, items: [] });
  });

  it('turns an error reply into a GatewayRequestError with its code', async () => {
    const { client, socket } = await setup();
    const signIn = client.request({
      type: 'signIn',
      server: '',
      username: 'client1',
      password: 'x',
      protocol: 'classic',
    });
    socket.reply({
      type: 'error',
      id: 1,
      code: 'WRONG_CREDENTIALS',
      message: 'Invalid username or password',
    });
    const error = await signIn.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayRequestError);
    expect((error as GatewayRequestError).code).toBe('WRONG_CREDENTIALS');
  });

  it('keeps the wait a RATE_LIMITED error gives, and says it in seconds or minutes', async () => {
    const { client, socket } = await setup();
    const signIn = client.request({
      type: 'signIn',
      server: '',
      username: 'client1',
      password: 'x',
      protocol: 'classic',
    });
    socket.reply({ type: 'error', id: 1, code: 'RATE_LIMITED', message: '', retryAfterSeconds: 4 });
    const error = (await signIn.catch((caught: unknown) => caught)) as GatewayRequestError;
    expect(error.retryAfterSeconds).toBe(4);
    const said = (seconds?: number): string =>
      describeError('RATE_LIMITED', '', { retryAfterSeconds: seconds });
    expect(said(4)).toBe('Too many attempts. Wait 4 seconds, then try again.');
    expect(said(1)).toBe('Too many attempts. Wait 1 second, then try again.');
    expect(said(0.2)).toBe('Too many attempts. Wait 1 second, then try again.');
    expect(said(89)).toBe('Too many attempts. Wait 89 seconds, then try again.');
    expect(said(300)).toBe('Too many attempts. Wait about 5 minutes, then try again.');
    expect(said()).toBe(
      'The gateway is busy. Try again in a minute, or sign out of a session you no longer use.',
    );
    expect(describeError('RATE_LIMITED', 'the gateway already serves 32 sessions')).toBe(
      'The gateway is busy: the gateway already serves 32 sessions. Try again in a minute, or sign out of a session you no longer use.',
    );
  });

  it('hands events to the UI and ignores garbage', async () => {
    const { socket, events } = await setup();
    socket.onmessage?.({ data: 'not json' });
    socket.onmessage?.({ data: 42 });
    socket.reply({
      type: 'hello',
      defaultServer: '127.0.0.1:13000',
      protocols: ['classic'],
      pollSeconds: 5,
    });
    socket.reply({ type: 'sessionEnded', reason: 'idle', message: 'idle' });
    expect(events.map((event) => event.type)).toEqual(['hello', 'sessionEnded']);
  });

  it('fails waiting requests when the socket closes, and refuses new ones', async () => {
    const { client, socket, closes } = await setup();
    const pending = client.request({ type: 'listInbox' });
    socket.close();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(client.request({ type: 'listInbox' })).rejects.toMatchObject({
      code: 'DISCONNECTED',
    });
    expect(closes).toEqual(['network']);
  });

  it('fails a request that gets no answer in time, and ignores a late answer', async () => {
    const { client, socket } = await setup();
    vi.useFakeTimers();
    try {
      const pending = client.request({ type: 'listInbox' }, 5000);
      const outcome = pending.catch((error: unknown) => error);
      vi.advanceTimersByTime(5000);
      await expect(outcome).resolves.toMatchObject({ code: 'TIMEOUT' });
      socket.reply({ type: 'inbox', id: 1, items: [] });
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a reply of the wrong type', async () => {
    const { client, socket } = await setup();
    const pending = client.request({ type: 'signOut' });
    socket.reply({ type: 'inbox', id: 1, items: [] });
    await expect(pending).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('fetches a page secret, then connects and presents it before any request', async () => {
    const socket = new FakeSocket();
    const opens: string[] = [];
    const { fetch, calls } = fakeFetch(secretAnswer('s3cret'));
    let connected!: () => void;
    const connecting = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const client = new GatewayClient({
      connect: () => {
        connected();
        return socket;
      },
      onEvent: () => undefined,
      onOpen: () => {
        opens.push(JSON.stringify(socket.sent));
      },
      onClose: () => undefined,
      fetch,
    });
    client.open();
    // A second open() while the first is under way makes no second request.
    client.open();
    await connecting;
    expect(calls).toEqual([
      { url: '/session', init: { credentials: 'same-origin', cache: 'no-store' } },
    ]);
    socket.open();
    // onOpen comes after the secret has been sent.
    expect(opens).toEqual([JSON.stringify([{ type: 'authenticate', secret: 's3cret' }])]);
    void client.request({ type: 'listInbox' });
    expect(socket.sent).toEqual([
      { type: 'authenticate', secret: 's3cret' },
      { type: 'listInbox', id: 1 },
    ]);
  });

  it('does not connect when GET /session refuses, and says why', async () => {
    const cases: [() => Promise<{ status: number; body: unknown }>, CloseCause][] = [
      [
        () => Promise.resolve({ status: 401, body: { error: 'cookie', message: 'm' } }),
        'staleCookie',
      ],
      [() => Promise.resolve({ status: 403, body: { error: 'origin', message: 'm' } }), 'refused'],
      [() => Promise.resolve({ status: 403, body: { error: 'host', message: 'm' } }), 'refused'],
      [() => Promise.reject(new TypeError('Failed to fetch')), 'network'],
      [() => Promise.resolve({ status: 502, body: undefined }), 'network'],
      [() => Promise.resolve({ status: 200, body: { nothing: true } }), 'network'],
    ];
    for (const [answer, cause] of cases) {
      expect(await openAgainst(answer), cause).toEqual({ connected: false, closes: [cause] });
    }
  });

  it('reports a socket the gateway closes with 4401 or 4429 as refused, other closes as network', async () => {
    for (const [code, cause] of [
      [4401, 'refused'],
      [4429, 'refused'],
      [1006, 'network'],
      [1001, 'network'],
    ] as const) {
      const { socket, closes } = await setup();
      socket.close(code);
      expect(closes, String(code)).toEqual([cause]);
    }
  });

  it('fetches a new secret for each connection, and gives up a connection being made on close()', async () => {
    const { fetch, calls } = fakeFetch(secretAnswer());
    const sockets: FakeSocket[] = [];
    const closes: CloseCause[] = [];
    let connected!: () => void;
    let connecting = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const client = new GatewayClient({
      connect: () => {
        const socket = new FakeSocket();
        sockets.push(socket);
        connected();
        return socket;
      },
      onEvent: () => undefined,
      onClose: (cause) => closes.push(cause),
      fetch,
    });
    client.open();
    await connecting;
    sockets[0]?.open();
    sockets[0]?.close(1006);
    connecting = new Promise<void>((resolve) => {
      connected = resolve;
    });
    client.open();
    await connecting;
    expect(calls.length).toBe(2);
    expect(closes).toEqual(['network']);

    // close() while the secret is on its way: no socket is opened and nothing is reported.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new GatewayClient({
      connect: () => {
        throw new Error('must not connect');
      },
      onEvent: () => undefined,
      onClose: (cause) => closes.push(cause),
      fetch: fakeFetch(async () => {
        await held;
        return { status: 200, body: { secret: 'late' } };
      }).fetch,
    });
    slow.open();
    slow.close();
    release();
    // Every promise job runs before the next turn of the event loop: by then it has all settled.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toEqual(['network']);
  });

  it('connects to /ws on the page origin', () => {
    expect(gatewaySocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe(
      'ws://127.0.0.1:8080/ws',
    );
    expect(gatewaySocketUrl({ protocol: 'https:', host: 'mail.local' })).toBe(
      'wss://mail.local/ws',
    );
  });

  it('gives each sign-in failure its own plain words', () => {
    const texts = (
      ['WRONG_CREDENTIALS', 'SERVER_UNREACHABLE', 'MISSING_KEY', 'SERVER_IDENTITY'] as const
    ).map((code) => describeError(code, '', { username: 'client9', server: '10.0.0.1:13000' }));
    // A classic server's refusal: a wrong password or a stale server key, which it cannot tell apart.
    expect(texts[0]).toMatch(
      /^The server refused “client9”: the username or password may be wrong\. The server may hold another key than this computer's server_public\.pem \(a stale bundle: ask the administrator for a new one, sealed-mail-admin keys client9\)/,
    );
    expect(texts[0]).toMatch(/The classic protocol cannot tell these apart\.$/);
    // Refused on this computer, or by a verified enhanced server: the password is wrong.
    const passwordWrong = 'The username or password is wrong. Check them and try again.';
    expect(
      describeError('WRONG_CREDENTIALS', keyNotUnlocked('client9'), {
        username: 'client9',
        protocol: 'classic',
      }),
    ).toBe(passwordWrong);
    expect(
      describeError('WRONG_CREDENTIALS', 'Invalid username or password.', {
        username: 'client9',
        protocol: 'enhanced',
      }),
    ).toBe(passwordWrong);
    expect(texts[1]).toMatch(/Could not reach 10\.0\.0\.1:13000/);
    expect(texts[2]).toMatch(/^There is no user “client9” on this computer\. Check the username/);
    expect(
      describeError('MISSING_KEY', 'this machine has no key for "client9": …', {
        username: 'client9',
      }),
    ).toMatch(/^There is no user “client9” on this computer/);
    expect(
      describeError(
        'MISSING_KEY',
        'the private key for "client9" on this machine does not match this account',
        { username: 'client9' },
      ),
    ).toBe(
      'The key of “client9” on this computer cannot be used: the private key for "client9" on this machine does not match this account.',
    );
    expect(texts[3]).toMatch(/10\.0\.0\.1:13000 was not verified, so nothing was sent/);
    expect(new Set(texts).size).toBe(4);
    expect(
      describeError('SERVER_UNREACHABLE', '', { server: 'h:13000', protocol: 'enhanced' }),
    ).toMatch(/enhanced protocol \(its port is usually 13001\)/);
  });
});
