import type {
  Authenticate,
  PageSession,
  PageSessionRefused,
  Reply,
  Request,
  WsCloseCode,
} from '../../../gateway/messages.js';
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
  delete: 'deleted',
  sealingPlan: 'sealingPlan',
  verifyKey: 'keyVerified',
  reconnectNow: 'reconnecting',
  search: 'searchResults',
  loadMarks: 'marks',
  setRead: 'marksSaved',
  moveToTrash: 'marksSaved',
  emptyTrash: 'trashEmptied',
} as const satisfies Record<Request['type'], ReplyType>;

export type AnswerTo<T extends Request['type']> = Extract<Reply, { type: (typeof ANSWER)[T] }>;
export type GatewayEvent = Extract<
  Reply,
  { type: 'hello' | 'newMail' | 'sessionEnded' | 'indexProgress' | 'resumed' | 'serverConnection' }
>;

/**
 * A request the gateway refused or could not answer, in the browser (the gateway's own
 * GatewayError, in gateway/web-bridge/errors.ts, is what it sends as a reply's error).
 */
export class GatewayRequestError extends Error {
  readonly code: ClientErrorCode;
  /** RATE_LIMITED: the seconds the gateway said to wait. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ClientErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'GatewayRequestError';
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
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
  onclose: Handler<{ code?: number }> | null;
  onerror: Handler<unknown> | null;
}

/** The part of `fetch` this client uses (a fake one stands in for it in tests). */
export type FetchLike = (
  url: string,
  init: { credentials: 'same-origin'; cache: 'no-store' },
) => Promise<{ status: number; json(): Promise<unknown> }>;

/**
 * Why the connection to the gateway ended, or could not be made:
 * - `staleCookie`: `GET /session` said 401: this browser has no cookie of the running gateway
 *   (it restarted, or this tab was not opened from its link). Reconnecting will not help: open
 *   the link the gateway printed in its terminal.
 * - `refused`: the gateway refused this page: `GET /session` said 403, or it closed the socket
 *   with 4401 (page secret) or 4429 (too many sockets from this browser).
 * - `network`: anything else, the gateway being down included; reconnecting may help.
 */
export type CloseCause = 'network' | 'staleCookie' | 'refused';

/** Where the page secret is fetched: the gateway's `GET /session`, on this page's origin. */
export const PAGE_SESSION_PATH = '/session';

/** The close codes with which the gateway refuses a socket (WsCloseCode). */
const REFUSED_CLOSE_CODES: ReadonlySet<number> = new Set<
  (typeof WsCloseCode)[keyof typeof WsCloseCode]
>([4401, 4429]);

const OPEN = 1;
/** Longer than any answer takes: a 1,000,000-character send over a slow link included. */
const DEFAULT_TIMEOUT_MS = 120_000;

interface Pending {
  expect: ReplyType;
  resolve: (reply: Reply) => void;
  reject: (error: GatewayRequestError) => void;
}

export interface GatewayClientOptions {
  connect: () => SocketLike;
  onEvent: (event: GatewayEvent) => void;
  /** The socket is open and has presented its page secret: requests may be sent. */
  onOpen?: () => void;
  /**
   * The connection ended, or could not be made (then no socket was opened); every request
   * still waiting has been rejected with DISCONNECTED.
   */
  onClose: (cause: CloseCause) => void;
  /** Fetches `GET /session`; the page's own `fetch` by default. */
  fetch?: FetchLike;
}

type SecretOutcome = { secret: string } | { cause: CloseCause };

const isPageSession = (body: unknown): body is PageSession =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as Partial<PageSession>).secret === 'string';

const saysStaleCookie = (body: unknown): boolean =>
  typeof body === 'object' &&
  body !== null &&
  (body as Partial<PageSessionRefused>).error === 'cookie';

/**
 * The browser's end of the gateway socket: fetches a page secret and presents it first,
 * numbers requests, pairs each reply with its request by id, turns error replies into
 * GatewayRequestError, and hands events to the UI.
 */
export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #fetch: FetchLike;
  readonly #pending = new Map<number, Pending>();
  #socket: SocketLike | undefined;
  /** Counts calls of open() and close(): a secret that arrives after either is not used. */
  #generation = 0;
  #opening = false;
  #nextId = 1;

  constructor(options: GatewayClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** Bytes queued by the socket and not yet handed to the network (for a send's progress). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /**
   * Connects: fetches a page secret from `GET /session`, then opens the socket and sends the
   * secret as its first message. Returns at once; onOpen or onClose tells how it went.
   */
  open(): void {
    if (this.#socket || this.#opening) return;
    this.#opening = true;
    const generation = ++this.#generation;
    void this.#fetchSecret().then((outcome) => {
      if (generation !== this.#generation) return;
      this.#opening = false;
      if ('cause' in outcome) this.#options.onClose(outcome.cause);
      else this.#connect(outcome.secret);
    });
  }

  /** Closes the socket; a connection still being made is given up, and reports nothing. */
  close(): void {
    this.#generation++;
    this.#opening = false;
    this.#socket?.close(1000, 'closing');
  }

  async #fetchSecret(): Promise<SecretOutcome> {
    try {
      const response = await this.#fetch(PAGE_SESSION_PATH, {
        credentials: 'same-origin',
        cache: 'no-store',
      });
      const body = await response.json().catch(() => undefined);
      if (response.status === 200 && isPageSession(body)) return { secret: body.secret };
      if (response.status === 401 && saysStaleCookie(body)) return { cause: 'staleCookie' };
      if (response.status === 401 || response.status === 403) return { cause: 'refused' };
      return { cause: 'network' };
    } catch {
      return { cause: 'network' };
    }
  }

  #connect(secret: string): void {
    let socket: SocketLike;
    try {
      socket = this.#options.connect();
    } catch {
      this.#options.onClose('network');
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'authenticate', secret } satisfies Authenticate));
      this.#options.onOpen?.();
    };
    socket.onmessage = (event) => {
      this.#receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#failAll(
        new GatewayRequestError('DISCONNECTED', 'the connection to the gateway closed'),
      );
      this.#options.onClose(
        event.code !== undefined && REFUSED_CLOSE_CODES.has(event.code) ? 'refused' : 'network',
      );
    };
    socket.onerror = () => {
      // A close event always follows; that is where the failure is handled.
    };
  }

  /** Sends a request; a reply that never comes fails it with TIMEOUT rather than leave the UI waiting. */
  request<T extends Outgoing>(
    message: T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<AnswerTo<T['type']>> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(
        new GatewayRequestError('DISCONNECTED', 'not connected to the gateway'),
      );
    }
    const id = this.#nextId++;
    const expect = ANSWER[message.type];
    return new Promise<AnswerTo<T['type']>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.delete(id)) return;
        reject(
          new GatewayRequestError(
            'TIMEOUT',
            `no answer to ${message.type} within ${timeoutMs / 1000} s`,
          ),
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
          new GatewayRequestError(
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
      case 'resumed':
      case 'serverConnection':
      case 'indexProgress':
        this.#options.onEvent(reply);
        return;
      case 'error': {
        const error = new GatewayRequestError(reply.code, reply.message, reply.retryAfterSeconds);
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
            new GatewayRequestError('INTERNAL', `expected ${pending.expect}, got ${reply.type}`),
          );
      }
    }
  }

  #failAll(error: GatewayRequestError): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}

/** The gateway's socket on this page's own origin. */
export function gatewaySocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
