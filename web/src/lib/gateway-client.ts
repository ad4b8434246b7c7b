import type { Reply, Request } from '../../../gateway/messages.js';
import type { ClientErrorCode } from './errors.js';

/** A request as the UI writes it: the client adds the id. */
export type Outgoing = Request extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

type ReplyType = Reply['type'];
/** Which reply answers which request. */
const ANSWER = {
  signIn: 'signedIn',
  listInbox: 'inbox',
  read: 'email',
  send: 'sent',
  signOut: 'signedOut',
  listSent: 'sentList',
  readSent: 'sentEmail',
} as const satisfies Record<Request['type'], ReplyType>;

export type AnswerTo<T extends Request['type']> = Extract<Reply, { type: (typeof ANSWER)[T] }>;
export type GatewayEvent = Extract<Reply, { type: 'hello' | 'newMail' | 'sessionEnded' }>;

export class GatewayError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
  }
}

/** A handler checked bivariantly, as DOM handlers are, so a browser WebSocket fits SocketLike. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a browser WebSocket this client uses (a fake one stands in for it in tests). */
export interface SocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<unknown> | null;
  onerror: Handler<unknown> | null;
}

const OPEN = 1;
/** Longer than any answer takes: a 1,000,000-character send over a slow link included. */
const DEFAULT_TIMEOUT_MS = 120_000;

interface Pending {
  expect: ReplyType;
  resolve: (reply: Reply) => void;
  reject: (error: GatewayError) => void;
}

export interface GatewayClientOptions {
  connect: () => SocketLike;
  onEvent: (event: GatewayEvent) => void;
  onOpen?: () => void;
  /** The socket closed; every request still waiting has been rejected with DISCONNECTED. */
  onClose: () => void;
}

/**
 * The browser's end of the gateway socket: numbers requests, pairs each reply with its
 * request by id, turns error replies into GatewayError, and hands events to the UI.
 */
export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #pending = new Map<number, Pending>();
  #socket: SocketLike | undefined;
  #nextId = 1;

  constructor(options: GatewayClientOptions) {
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** Bytes queued by the socket and not yet handed to the network (for a send's progress). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  open(): void {
    if (this.#socket) return;
    const socket = this.#options.connect();
    this.#socket = socket;
    socket.onopen = () => this.#options.onOpen?.();
    socket.onmessage = (event) => {
      this.#receive(event.data);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#failAll(new GatewayError('DISCONNECTED', 'the connection to the gateway closed'));
      this.#options.onClose();
    };
    socket.onerror = () => {
      // A close event always follows; that is where the failure is handled.
    };
  }

  close(): void {
    const socket = this.#socket;
    if (!socket) return;
    socket.close(1000, 'closing');
  }

  /** Sends a request; a reply that never comes fails it with TIMEOUT rather than leave the UI waiting. */
  request<T extends Outgoing>(
    message: T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<AnswerTo<T['type']>> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new GatewayError('DISCONNECTED', 'not connected to the gateway'));
    }
    const id = this.#nextId++;
    const expect = ANSWER[message.type];
    return new Promise<AnswerTo<T['type']>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.delete(id)) return;
        reject(
          new GatewayError('TIMEOUT', `no answer to ${message.type} within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      const settle =
        <A>(finish: (value: A) => void) =>
        (value: A): void => {
          clearTimeout(timer);
          finish(value);
        };
      this.#pending.set(id, {
        expect,
        resolve: settle(resolve as (reply: Reply) => void),
        reject: settle(reject),
      });
      try {
        socket.send(JSON.stringify({ ...message, id }));
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(
          new GatewayError(
            'DISCONNECTED',
            error instanceof Error ? error.message : 'the message could not be sent',
          ),
        );
      }
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let reply: Reply;
    try {
      reply = JSON.parse(data) as Reply;
    } catch {
      return;
    }
    switch (reply.type) {
      case 'hello':
      case 'newMail':
      case 'sessionEnded':
        this.#options.onEvent(reply);
        return;
      case 'error': {
        const error = new GatewayError(reply.code, reply.message);
        if (reply.id === null) {
          // An error about no request in particular: every waiting request fails with it.
          this.#failAll(error);
          return;
        }
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        pending.reject(error);
        return;
      }
      default: {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        if (pending.expect === reply.type) pending.resolve(reply);
        else
          pending.reject(
            new GatewayError('INTERNAL', `expected ${pending.expect}, got ${reply.type}`),
          );
      }
    }
  }

  #failAll(error: GatewayError): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}

/** The gateway's socket on this page's own origin. */
export function gatewaySocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
