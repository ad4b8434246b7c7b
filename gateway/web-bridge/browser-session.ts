/**
 * One browser's WebSocket: validates its requests, signs it in through a child process of its
 * own, relays between the two, and ends the child on sign-out, idle time or a closed tab.
 * It never sees a key: the child reads it.
 */
import { CHANNEL_KINDS } from '../../protocol/channel-kinds.js';
import { USERNAME_PATTERN } from '../../protocol/limits.js';
import type {
  ChannelKind,
  ErrorCode,
  Reply,
  Request,
  SessionEndReason,
  SignInRequest,
} from '../messages.js';
import type { SessionRequest } from './child-protocol.js';
import type { GatewayConfig } from './config.js';
import { GatewayError } from './errors.js';
import { parseRequest } from './request-parser.js';
import { formatServerList } from '../protocol-client/server-list.js';
import { DEFAULT_ENHANCED_PORT, parseServerAddress, type ServerAddress } from './server-address.js';
import type { DowngradeGuard } from './downgrade-guard.js';
import type { ChildExit, SessionChildren, SessionProcess } from './child-handles.js';
import type { SignInAttempt, SignInOutcome, SignInThrottle } from './sign-in-throttle.js';

/** The protocols this gateway can speak. */
export const availableProtocols = (): ChannelKind[] => [...CHANNEL_KINDS];

export interface BrowserSessionContext {
  config: GatewayConfig;
  children: SessionChildren;
  signInThrottle: SignInThrottle;
  /** Refuses classic sign-ins that would silently replace an enhanced server gone missing. */
  downgrades: DowngradeGuard;
  /** Sends to this browser (dropped when its socket is closed). */
  send(reply: Reply): void;
}

/** `checking`: a classic sign-in waits for the downgrade check, before any process or throttle. */
type State = 'signedOut' | 'checking' | 'signingIn' | 'signedIn' | 'signingOut';

export class BrowserSession {
  readonly #context: BrowserSessionContext;
  #state: State = 'signedOut';
  #child: SessionProcess | undefined;
  /** The sign-in under way, to be counted by the throttle when its answer comes. */
  #signInAttempt: SignInAttempt | undefined;
  /** Hosts besides the server's own that the sign-in under way stands for (the defaults). */
  #signInHosts: string[] = [];
  /** Requests relayed to the child and not answered yet, so that a dying child can answer them. */
  readonly #pending = new Set<number>();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(context: BrowserSessionContext) {
    this.#context = context;
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    const parsed = parseRequest(data, isBinary);
    if (!parsed.ok) {
      this.#error(parsed.id, parsed.error.code, parsed.error.message);
      return;
    }
    const { request } = parsed;
    if (this.#pending.has(request.id)) {
      this.#error(
        request.id,
        'BAD_REQUEST',
        `request ${request.id} is still being answered; use a new id`,
      );
      return;
    }
    try {
      this.#dispatch(request);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      this.#error(request.id, error.code, error.message, error.retryAfterSeconds);
    }
  }

  /** The socket closed (tab closed, network gone, gateway closing): end the protocol session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
  }

  #dispatch(request: Request): void {
    switch (request.type) {
      case 'signIn':
        this.#signIn(request);
        return;
      case 'signOut':
        this.#signOut(request.id);
        return;
      case 'listInbox':
      case 'read':
      case 'send':
      case 'listSent':
      case 'readSent':
      case 'delete':
      case 'sealingPlan':
      case 'verifyKey':
      case 'search':
      case 'loadMarks':
      case 'setRead':
      case 'moveToTrash':
      case 'emptyTrash':
        this.#relaySessionRequest(request);
        return;
    }
  }

  #relaySessionRequest(request: SessionRequest): void {
    if (this.#state !== 'signedIn' || !this.#child) {
      throw new GatewayError(
        'NOT_SIGNED_IN',
        this.#state === 'signingIn' ? 'the sign-in is not finished yet' : 'sign in first',
      );
    }
    const { maxQueuedRequests } = this.#context.config;
    if (this.#pending.size >= maxQueuedRequests) {
      throw new GatewayError(
        'RATE_LIMITED',
        `${maxQueuedRequests} requests are waiting for their answers already`,
        { retryAfterSeconds: 1 },
      );
    }
    this.#touch();
    this.#relay(request);
  }

  #signIn(request: SignInRequest): void {
    if (this.#state !== 'signedOut') throw new GatewayError('ALREADY_SIGNED_IN', 'sign out first');
    const { config, downgrades } = this.#context;
    if (!USERNAME_PATTERN.test(request.username)) {
      throw new GatewayError(
        'BAD_REQUEST',
        'a username has letters, digits, ".", "_" and "-" only',
      );
    }
    if (!availableProtocols().includes(request.protocol)) {
      throw new GatewayError(
        'BAD_REQUEST',
        `the ${request.protocol} protocol is not available in this gateway`,
      );
    }
    // Each protocol has its own port: no negotiation on one port, so no downgrade on the wire;
    // a person pushed from one port to the other is what the downgrade guard is for.
    const [defaults, ...others] = config.servers[request.protocol];
    const named = request.server.trim() !== '';
    const server: ServerAddress = named
      ? parseServerAddress(request.server, defaults.port)
      : defaults;
    const fallbacks = named ? [] : others;
    const targets = [server, ...fallbacks];
    if (
      request.protocol === 'classic' &&
      request.classicFallback !== true &&
      downgrades.remembers(targets)
    ) {
      // Probing takes up to half a second when the port is dropped: the answer comes later.
      this.#state = 'checking';
      this.#pending.add(request.id);
      void downgrades
        .missingEnhanced(targets)
        .then((missing) => {
          // Cancelled meanwhile (signed out, tab closed): #forget has answered the request.
          if (this.#closed || this.#state !== 'checking' || !this.#pending.delete(request.id))
            return;
          this.#state = 'signedOut';
          try {
            if (missing !== undefined) throw unverifiedFallback(missing);
            this.#startSignIn(request, server, fallbacks);
          } catch (error) {
            if (!(error instanceof GatewayError)) throw error;
            this.#error(request.id, error.code, error.message, error.retryAfterSeconds);
          }
        })
        .catch((error: unknown) => {
          config.logger?.error({ err: error }, 'sign-in after the downgrade check');
        });
      return;
    }
    this.#startSignIn(request, server, fallbacks);
  }

  #startSignIn(request: SignInRequest, server: ServerAddress, fallbacks: ServerAddress[]): void {
    const { config, children, signInThrottle } = this.#context;
    if (children.count >= config.maxSessions) {
      throw new GatewayError(
        'RATE_LIMITED',
        `the gateway already serves ${config.maxSessions} sessions`,
      );
    }
    const verdict = signInThrottle.begin(request.username);
    if (!verdict.allowed) {
      const seconds = Math.ceil(verdict.waitMs / 1000);
      throw new GatewayError(
        'RATE_LIMITED',
        `too many sign-in attempts for ${request.username}; try again in ${seconds} s`,
        { retryAfterSeconds: seconds },
      );
    }
    this.#signInAttempt = verdict.attempt;
    this.#signInHosts =
      request.server.trim() === '' ? config.servers.classic.map(({ host }) => host) : [];
    const child = children.start((reply) => {
      this.#onChildReply(child, reply);
    });
    void child.closed.then((exit) => {
      this.#onChildClosed(child, exit);
    });
    this.#child = child;
    this.#state = 'signingIn';
    config.logger?.debug({ child: child.pid, username: request.username, server }, 'signing in');
    this.#relay({
      type: 'signIn',
      id: request.id,
      host: fallbacks.length === 0 ? server.host : formatServerList([server, ...fallbacks]),
      port: server.port,
      username: request.username,
      password: request.password,
      protocol: request.protocol,
      keysDir: config.keysDir,
      dataDir: config.dataDir,
      pollMs: config.pollSeconds * 1000,
      trashDays: config.trashDays,
      connectTimeoutMs: config.connectTimeoutMs,
      replyTimeoutMs: config.replyTimeoutMs,
    });
  }

  /** A verified enhanced server: a classic sign-in to its host without it is a downgrade from now on. */
  #rememberEnhanced(reply: Extract<Reply, { type: 'signedIn' }>): void {
    if (reply.protocol !== 'enhanced' || reply.serverFingerprint === undefined) return;
    try {
      const enhanced = parseServerAddress(reply.server, DEFAULT_ENHANCED_PORT);
      this.#context.downgrades.remember(this.#signInHosts, enhanced);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
    }
  }

  #signOut(id: number): void {
    if (this.#state === 'signedIn' && this.#child) {
      this.#state = 'signingOut';
      this.#relay({ type: 'signOut', id });
      return;
    }
    if (this.#state === 'signingOut')
      throw new GatewayError('NOT_SIGNED_IN', 'already signing out');
    // Signed out already, or cancelling a sign-in: either way the browser ends up signed out.
    this.#detach();
    this.#context.send({ type: 'signedOut', id });
  }

  #relay(message: Parameters<SessionProcess['send']>[0]): void {
    const child = this.#child;
    const id = message.id;
    if (id !== null) this.#pending.add(id);
    if (!child?.send(message)) {
      if (id !== null) this.#pending.delete(id);
      throw new GatewayError('SESSION_ENDED', 'the session process is gone');
    }
  }

  #onChildReply(child: SessionProcess, reply: Reply): void {
    this.#context.config.logger?.debug(
      { child: child.pid, reply: reply.type, current: child === this.#child },
      'from session child',
    );
    if (child !== this.#child) return;
    if ('id' in reply && reply.id !== null) this.#pending.delete(reply.id);
    switch (reply.type) {
      case 'signedIn':
        this.#rememberEnhanced(reply);
        this.#endSignInAttempt('succeeded');
        this.#state = 'signedIn';
        this.#touch();
        break;
      case 'error':
        // A refused sign-in: the child is leaving; the browser may try again at once.
        if (this.#state === 'signingIn') {
          this.#endSignInAttempt(
            reply.code === 'WRONG_CREDENTIALS' ? 'wrongPassword' : 'otherFailure',
          );
          this.#detach();
        }
        break;
      case 'signedOut':
      case 'sessionEnded':
        this.#detach();
        break;
      default:
        break;
    }
    this.#context.send(reply);
  }

  /** The child exited while it still served this browser: it crashed or was killed. */
  #onChildClosed(child: SessionProcess, exit: ChildExit): void {
    this.#context.config.logger?.debug(
      { child: child.pid, ...exit, current: child === this.#child },
      'session child closed',
    );
    if (child !== this.#child) return;
    const wasSignedIn = this.#state === 'signedIn' || this.#state === 'signingOut';
    this.#forget();
    if (wasSignedIn) {
      this.#context.send({
        type: 'sessionEnded',
        reason: 'processDied',
        message: 'The session process stopped unexpectedly.',
      });
    }
  }

  #touch(): void {
    clearTimeout(this.#idleTimer);
    const ms = this.#context.config.idleTimeoutSeconds * 1000;
    if (ms <= 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#endFor(
        'idle',
        `Signed out after ${this.#context.config.idleTimeoutSeconds} s without activity.`,
      );
    }, ms);
  }

  #endFor(reason: SessionEndReason, message: string): void {
    if (this.#state !== 'signedIn') return;
    this.#detach();
    this.#context.send({ type: 'sessionEnded', reason, message });
  }

  /** Stops relaying for the current child and asks it to leave. */
  #detach(): void {
    const child = this.#child;
    this.#forget();
    void child?.end(this.#context.config.childGraceMs);
  }

  #endSignInAttempt(outcome: SignInOutcome): void {
    this.#signInAttempt?.end(outcome);
    this.#signInAttempt = undefined;
  }

  /** Back to signed out; requests still in flight are answered as ended. */
  #forget(): void {
    // A sign-in given up (cancelled, or its child died) never answered the browser: no failure to count.
    this.#endSignInAttempt('otherFailure');
    clearTimeout(this.#idleTimer);
    this.#child = undefined;
    this.#state = 'signedOut';
    for (const id of this.#pending)
      this.#error(id, 'SESSION_ENDED', 'the session ended before this request was answered');
    this.#pending.clear();
  }

  #error(id: number | null, code: ErrorCode, message: string, retryAfterSeconds?: number): void {
    this.#context.send(
      retryAfterSeconds === undefined
        ? { type: 'error', id, code, message }
        : { type: 'error', id, code, message, retryAfterSeconds },
    );
  }
}

function unverifiedFallback(missing: string): GatewayError {
  return new GatewayError(
    'UNVERIFIED_FALLBACK',
    `${missing} answered as this server's enhanced server before and does not answer now; someone may be blocking it. A classic sign-in cannot verify the server: choose it explicitly, or try again when the enhanced server answers`,
  );
}
