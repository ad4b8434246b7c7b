import { describe, expect, it, vi } from 'vitest';
import type { Reply } from '../gateway/messages.js';
import {
  GatewayClient,
  GatewayError,
  gatewaySocketUrl,
  type GatewayEvent,
  type SocketLike,
} from '../web/src/lib/gateway-client.js';
import { describeError } from '../web/src/lib/errors.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  bufferedAmount = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(reply: Reply): void {
    this.onmessage?.({ data: JSON.stringify(reply) });
  }
}

function setup(): {
  client: GatewayClient;
  socket: FakeSocket;
  events: GatewayEvent[];
  closes: number[];
} {
  const socket = new FakeSocket();
  const events: GatewayEvent[] = [];
  const closes: number[] = [];
  const client = new GatewayClient({
    connect: () => socket,
    onEvent: (event) => events.push(event),
    onClose: () => closes.push(1),
  });
  client.open();
  socket.open();
  return { client, socket, events, closes };
}

describe('web UI gateway client', () => {
  it('numbers requests and pairs replies by id, in any order', async () => {
    const { client, socket } = setup();
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

  it('turns an error reply into a GatewayError with its code', async () => {
    const { client, socket } = setup();
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
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('WRONG_CREDENTIALS');
  });

  it('hands events to the UI and ignores garbage', () => {
    const { socket, events } = setup();
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
    const { client, socket, closes } = setup();
    const pending = client.request({ type: 'listInbox' });
    socket.close();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(client.request({ type: 'listInbox' })).rejects.toMatchObject({
      code: 'DISCONNECTED',
    });
    expect(closes).toEqual([1]);
  });

  it('fails a request that gets no answer in time, and ignores a late answer', async () => {
    vi.useFakeTimers();
    try {
      const { client, socket } = setup();
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
    const { client, socket } = setup();
    const pending = client.request({ type: 'signOut' });
    socket.reply({ type: 'inbox', id: 1, items: [] });
    await expect(pending).rejects.toMatchObject({ code: 'INTERNAL' });
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
    expect(texts[0]).toMatch(/username or password is wrong/);
    expect(texts[1]).toMatch(/Could not reach 10\.0\.0\.1:13000/);
    expect(texts[2]).toMatch(/no private key for “client9”/);
    expect(texts[3]).toMatch(/10\.0\.0\.1:13000 was not verified, so nothing was sent/);
    expect(new Set(texts).size).toBe(4);
    expect(
      describeError('SERVER_UNREACHABLE', '', { server: 'h:13000', protocol: 'enhanced' }),
    ).toMatch(/enhanced protocol \(its port is usually 13001\)/);
  });
});
