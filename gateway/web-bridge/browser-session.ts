/**
 * One browser's session: validates the requests of its pages (tabs, and a page again after a
 * reload: tab-routes.ts), signs it in through a child process of its own, relays between the
 * two, and ends the child on sign-out, idle time, or when its last page has been gone for the
 * grace period (browser-sessions.ts). It never sees a key: the child reads it.
 */
import type {
  ErrorCode,
  Reply,
  Request,
  Resumed,
  ServerConnection,
  SessionEndReason,
  SignedInSession,
  SignInRequest,
} from '../messages.js';
import type { SessionRequest } from './child-protocol.js';
import type { GatewayConfig } from './config.js';
import { GatewayError } from './errors.js';
import { parseRequest } from './request-parser.js';
import type { ServerAddress } from './server-address.js';
import type { DowngradeGuard } from './downgrade-guard.js';
import type { ChildExit, SessionChildren, SessionProcess } from './child-handles.js';
import type { SignInAttempt, SignInOutcome, SignInThrottle } from './sign-in-throttle.js';
import { TabRoutes, type Tab } from './tab-routes.js';
import {
  availableProtocols,
  childSignIn,
  rememberVerifiedEnhanced,
  signInTargets,
} from './sign-in-targets.js';
import { errorReply, sessionOf, unverifiedFallback, withVerified } from './session-replies.js';

export { availableProtocols };

export interface BrowserSessionContext {
  config: GatewayConfig;
  children: SessionChildren;
  signInThrottle: SignInThrottle;
  /** Refuses classic sign-ins that would silently replace an enhanced server gone missing. */
  downgrades: DowngradeGuard;
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
  /**
   * Requests of every page, under the session's own ids, not answered yet: answered by the
   * child, or as ended when the child goes.
   */
  readonly #pending = new TabRoutes();
  readonly #tabs = new Set<Tab>();
  /** What the signed-in session is, for a page that joins it later. */
  #signedIn: SignedInSession | undefined;
  /** The connection to the mail server while the child reconnects. */
  #connection: ServerConnection | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(context: BrowserSessionContext) {
    this.#context = context;
  }

  /** Pages attached now. */
  get tabCount(): number {
    return this.#tabs.size;
  }

  /** Whether there is a session to keep for a page that comes back (signed in, or on its way). */
  get holdsSession(): boolean {
    return this.#state !== 'signedOut' && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A page of this browser opened its socket; its messages are routed from now on. */
  attach(tab: Tab): void {
    this.#tabs.add(tab);
  }

  /** The signed-in session, as a page that joins it is told (in its hello, or later). */
  get resumed(): Resumed | undefined {
    if (this.#state !== 'signedIn' || !this.#signedIn) return undefined;
    return {
      session: this.#signedIn,
      ...(this.#connection ? { connection: this.#connection } : {}),
    };
  }

  /** A page's socket closed; the session stays (browser-sessions.ts decides for how long). */
  detachTab(tab: Tab): void {
    this.#tabs.delete(tab);
    this.#pending.dropTab(tab);
  }

  onMessage(tab: Tab, data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    const parsed = parseRequest(data, isBinary);
    if (!parsed.ok) {
      tab.send(errorReply(parsed.id, parsed.error.code, parsed.error.message));
      return;
    }
    const { request } = parsed;
    if (this.#pending.has(tab, request.id)) {
      tab.send(
        errorReply(
          request.id,
          'BAD_REQUEST',
          `request ${request.id} is still being answered; use a new id`,
        ),
      );
      return;
    }
    const own = this.#pending.open(tab, request.id);
    try {
      this.#dispatch({ ...request, id: own });
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      this.#error(own, error.code, error.message, error.retryAfterSeconds);
    }
  }

  /** The session is over for good (grace period passed, gateway closing): end the protocol session. */
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
      default:
        // Every other request is the session child's to answer.
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
    // This request is counted already.
    if (this.#pending.size > maxQueuedRequests) {
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
    const { server, fallbacks } = signInTargets(request, config.servers);
    const targets = [server, ...fallbacks];
    if (
      request.protocol === 'classic' &&
      request.classicFallback !== true &&
      downgrades.remembers(targets)
    ) {
      // Probing takes up to half a second when the port is dropped: the answer comes later.
      this.#state = 'checking';
      void downgrades
        .missingEnhanced(targets)
        .then((missing) => {
          // Cancelled meanwhile (signed out, tab closed): #forget has answered the request.
          if (this.#closed || this.#state !== 'checking' || !this.#pending.waiting(request.id))
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
      const sessions = config.maxSessions === 1 ? 'session' : 'sessions';
      throw new GatewayError(
        'RATE_LIMITED',
        `the gateway already serves ${config.maxSessions} ${sessions}`,
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
    this.#relay(childSignIn(request, server, fallbacks, config));
  }

  #signOut(id: number): void {
    if (this.#state === 'signedIn' && this.#child) {
      this.#state = 'signingOut';
      this.#relay({ type: 'signOut', id });
      return;
    }
    if (this.#state === 'signingOut')
      throw new GatewayError('NOT_SIGNED_IN', 'already signing out');
    // Signed out already, or cancelling a sign-in: either way the browser ends up signed out
    // (answered first: the detach answers whatever else waits as ended).
    this.#answer({ type: 'signedOut', id });
    this.#detach();
  }

  #relay(message: Parameters<SessionProcess['send']>[0]): void {
    const child = this.#child;
    if (!child?.send(message))
      throw new GatewayError('SESSION_ENDED', 'the session process is gone');
  }

  #onChildReply(child: SessionProcess, reply: Reply): void {
    this.#context.config.logger?.debug(
      { child: child.pid, reply: reply.type, current: child === this.#child },
      'from session child',
    );
    if (child !== this.#child) return;
    switch (reply.type) {
      case 'signedIn': {
        rememberVerifiedEnhanced(this.#context.downgrades, this.#signInHosts, reply);
        this.#endSignInAttempt('succeeded');
        this.#state = 'signedIn';
        this.#touch();
        const { id } = reply;
        this.#signedIn = sessionOf(reply);
        const asker = this.#pending.tabOf(id);
        this.#answer(reply);
        // The browser's other pages join the session that one of them signed in.
        const resumed = this.resumed;
        if (resumed)
          for (const tab of this.#tabs)
            if (tab !== asker) tab.send({ type: 'resumed', ...resumed });
        return;
      }
      case 'keyVerified':
        this.#signedIn = this.#signedIn && withVerified(this.#signedIn, reply.entry);
        break;
      case 'serverConnection':
        this.#connection = reply.state === 'lost' ? reply : undefined;
        break;
      case 'error':
        // A refused sign-in: the child is leaving; the browser may try again at once.
        if (this.#state === 'signingIn') {
          this.#endSignInAttempt(
            reply.code === 'WRONG_CREDENTIALS' ? 'wrongPassword' : 'otherFailure',
          );
          // Answered before the detach, which answers whatever is still waiting as ended.
          this.#answer(reply);
          this.#detach();
          return;
        }
        break;
      case 'signedOut': {
        const asker = this.#pending.tabOf(reply.id);
        const others = [...this.#tabs].filter((tab) => tab !== asker);
        this.#answer(reply);
        this.#detach();
        for (const tab of others)
          tab.send({
            type: 'sessionEnded',
            reason: 'signedOut',
            message: 'You signed out in another tab.',
          });
        return;
      }
      case 'sessionEnded':
        this.#detach();
        break;
      default:
        break;
    }
    this.#answer(reply);
  }

  /** A reply to one page's request goes to that page; an event to every page of the browser. */
  #answer(reply: Reply): void {
    if ('id' in reply) {
      this.#pending.answer(reply);
      return;
    }
    for (const tab of this.#tabs) tab.send(reply);
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
      this.#answer({
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
    this.#answer({ type: 'sessionEnded', reason, message });
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
    this.#signedIn = undefined;
    this.#connection = undefined;
    for (const { tab, id } of this.#pending.takeAll())
      tab.send(
        errorReply(id, 'SESSION_ENDED', 'the session ended before this request was answered'),
      );
  }

  #error(id: number, code: ErrorCode, message: string, retryAfterSeconds?: number): void {
    this.#answer(errorReply(id, code, message, retryAfterSeconds));
  }
}
