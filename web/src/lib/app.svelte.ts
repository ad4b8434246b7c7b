import type { ChannelKind, Resumed, SignedInSession } from '../../../gateway/messages.js';
import { browserEnvironment, type AppEnvironment } from './browser-environment.js';
import { isDraftEmpty } from './compose.js';
import { ComposerState } from './composer-state.svelte.js';
import { ContentSearch } from './content-search.svelte.js';
import { GatewayConnection } from './connection.svelte.js';
import type { SendOutcome } from './delivery.js';
import { describeError, describeSessionEnd, type ErrorContext } from './errors.js';
import { GatewayRequestError, type GatewayEvent } from './gateway-client.js';
import { InboxState } from './inbox-state.svelte.js';
import { withPinnedKeys, withVerifiedKey } from './keyring-view.js';
import { Notices } from './notices.svelte.js';
import {
  adviseAfterRefusal,
  adviseProtocol,
  keepsChosenProtocol,
  type ProtocolAdvice,
} from './protocol-memory.js';
import { MailboxState } from './mailbox-state.svelte.js';
import { newMailCadence, newMailStatus } from './new-mail.js';
import { ReaderState } from './reader-state.svelte.js';
import { SentState } from './sent-state.svelte.js';
import { ServerLink } from './server-link.svelte.js';
import {
  openMailbox,
  sessionOf,
  type Phase,
  type Session,
  type SignInForm,
} from './session-start.js';
import { endedByPageLoad, MARKER_KEY, takeMarker, type SessionMarker } from './session-marker.js';
import { SettingsState } from './settings.svelte.js';
import { accountOf, removeKey, writeJson } from './storage.js';

export type { Phase, Session, SignInForm };

const SIGN_IN_TIMEOUT_MS = 45_000;

/** The mail client: the parts of its state, and what ties them together (sessions, events). */
export class MailApp {
  phase = $state<Phase>('connecting');
  session = $state<Session | undefined>();
  /** The session ended while an email was being written: it stays on screen, with this reason. */
  sessionLost = $state<string | undefined>();
  /** Why the last session ended, shown on the sign-in page. */
  ended = $state<string | undefined>();
  lastForm = $state<{ server: string; username: string; protocol: ChannelKind | undefined }>({
    server: '',
    username: '',
    protocol: 'classic',
  });
  advice = $state.raw<ProtocolAdvice>({ preselect: 'classic' });
  helpOpen = $state(false);
  settingsOpen = $state(false);
  /** What became of a send, shown in full (from its notice's Details). */
  outcomeShown = $state.raw<SendOutcome | undefined>();

  readonly notices = new Notices();
  /** The mail server's connection while the session reconnects (the banner). */
  readonly server = new ServerLink();
  readonly connection: GatewayConnection;
  readonly settings: SettingsState;
  readonly inbox: InboxState;
  readonly reader = new ReaderState();
  readonly composer: ComposerState;
  readonly sent: SentState;
  readonly mailbox: MailboxState;
  readonly contentSearch: ContentSearch;
  /** The account whose drafts are kept from before a reload, to say so at sign-in. */
  readonly keptFrom: SessionMarker | undefined;
  readonly #env: AppEnvironment;
  #attempted = false;
  /** The page is leaving on purpose (for a restarted gateway's link): nothing to ask. */
  #leaving = false;

  constructor(env: AppEnvironment = browserEnvironment()) {
    this.#env = env;
    this.settings = new SettingsState(env.local);
    this.connection = new GatewayConnection({
      connect: env.connect,
      onEvent: (event) => {
        this.#onEvent(event);
      },
      onLost: () => {
        this.#onSocketLost();
      },
    });
    const describe = (error: unknown): string => this.errorText(error);
    this.inbox = new InboxState(env.local);
    this.sent = new SentState(this.connection.client, describe, env.local);
    this.composer = new ComposerState({
      client: this.connection.client,
      notices: this.notices,
      settings: this.settings,
      session: env.session,
      local: env.local,
      onFailure: (error) => {
        this.#handleFailure(error, false);
        return describe(error);
      },
      onSent: (reply, outcome) => {
        this.#pinned(reply.sealed?.fromServer ?? []);
        if (reply.sentId !== undefined && outcome.recipients)
          this.sent.keepReport(reply.sentId, outcome.recipients);
        this.sent.invalidate();
        if (this.mailbox.folder === 'sent') void this.sent.load();
      },
      showOutcome: (outcome) => {
        this.outcomeShown = outcome;
      },
    });
    this.mailbox = new MailboxState({
      client: this.connection.client,
      inbox: this.inbox,
      reader: this.reader,
      composer: this.composer,
      sent: this.sent,
      notices: this.notices,
      settings: this.settings,
      isActive: () => this.phase === 'mail' && this.sessionLost === undefined,
      username: () => this.session?.username,
      capabilities: () => this.session?.capabilities,
      onFailure: (error, notify) => {
        this.#handleFailure(error, notify);
      },
      describe,
      // A signer's key fetched from the server on opening joins the keyring shown in Settings.
      onOpened: ({ security }) => {
        if (security?.kind === 'sealed' && security.keySource === 'server')
          this.#pinned([{ name: security.signer, fingerprint: security.fingerprint }]);
      },
    });
    this.contentSearch = new ContentSearch(
      this.connection.client,
      this.inbox,
      () => this.phase === 'mail' && this.sessionLost === undefined,
    );
    const marker = takeMarker(env.session);
    this.keptFrom = marker;
    if (marker) {
      this.ended = endedByPageLoad(marker, env.navigation);
      this.lastForm = {
        server: marker.typedServer,
        username: marker.username,
        protocol: marker.protocol,
      };
      this.#attempted = true;
    }
  }

  start(): void {
    this.phase = 'connecting';
    this.connection.start();
  }

  /** How new mail reaches this page: pushed by the server, or checked every few seconds. */
  get newMailCadence(): string {
    return newMailCadence(this.#mailPushed, this.#pollSeconds);
  }

  /** What the status bar says when no notice is shown. */
  get statusLine(): string {
    if (this.sessionLost) return 'Signed out';
    return newMailStatus(this.#mailPushed, this.#pollSeconds);
  }

  /** Said after the status line where there is a keyboard (the status bar hides it on a phone). */
  get keyboardHint(): string | undefined {
    return this.sessionLost ? undefined : 'press ? for shortcuts';
  }

  get #mailPushed(): boolean {
    return this.session?.capabilities.pushedMail === true;
  }

  get #pollSeconds(): number {
    return this.connection.hello?.pollSeconds ?? 0;
  }

  /** Whether leaving the page would lose something: an unsent email. */
  get asksBeforeLeaving(): boolean {
    return !this.#leaving && this.composer.hasUnsentWork;
  }

  /**
   * Opens a restarted gateway's new link in this tab. Drafts are saved first, and a note says
   * why the session ended, so the sign-in that follows tells so and reopens the email.
   */
  openNewLink(url: string): void {
    this.composer.save();
    const session = this.session;
    if (session)
      writeJson(this.#env.session, MARKER_KEY, {
        username: session.username,
        typedServer: this.lastForm.server,
        protocol: session.protocol,
        server: session.server,
        endedBy: 'gatewayRestart',
      } satisfies SessionMarker);
    this.#leaving = true;
    this.#env.navigate(url);
  }

  /** The server a sign-in with an empty server field reaches with this protocol. */
  serverFor(protocol: ChannelKind | undefined): string {
    const hello = this.connection.hello;
    if (!hello) return '';
    return protocol === 'enhanced' && hello.enhancedServer
      ? hello.enhancedServer
      : hello.defaultServer;
  }

  get client() {
    return this.connection.client;
  }

  /** An unsent email waits: on screen from the session that ended, or saved before a reload. */
  get draftsKept(): boolean {
    const from = this.keptFrom;
    return (
      (this.composer.open && !isDraftEmpty(this.composer.draft)) ||
      (from !== undefined && this.composer.hasDraftsOf(accountOf(from.username, from.server)))
    );
  }

  // ---- session ----

  /** Signs in; resolves with an error text for the form, or undefined on success. */
  async signIn(form: SignInForm): Promise<string | undefined> {
    this.lastForm = { server: form.server, username: form.username, protocol: form.protocol };
    this.#attempted = true;
    try {
      const reply = await this.client.request({ type: 'signIn', ...form }, SIGN_IN_TIMEOUT_MS);
      this.#begin(reply, form.server);
      // Told here only, not to pages that join the session later: once.
      if (reply.serverKeyReplaced !== undefined)
        this.notices.notify('info', reply.serverKeyReplaced, { sticky: true });
      return undefined;
    } catch (error) {
      if (error instanceof GatewayRequestError && error.code === 'UNVERIFIED_FALLBACK')
        this.advice = adviseAfterRefusal(form.server || this.serverFor('classic'));
      return this.errorText(error, {
        username: form.username,
        server: form.server || this.serverFor(form.protocol),
        protocol: form.protocol,
      });
    }
  }

  /** A session begins on this page: signed in here, or joined (a reload, another tab). */
  #begin(reply: SignedInSession, typedServer: string): void {
    this.session = sessionOf(reply);
    const { username, protocol, server } = reply;
    writeJson(this.#env.session, MARKER_KEY, { username, typedServer, protocol, server });
    this.ended = undefined;
    this.sessionLost = undefined;
    // In the mail phase first: the mailbox lists only while it is active.
    this.phase = 'mail';
    openMailbox(this, accountOf(username, server), reply.capabilities);
  }

  /** This browser's session is signed in: the page joins it (unless it shows it already). */
  #resume({ session, connection }: Resumed): void {
    const same =
      this.phase === 'mail' && !this.sessionLost && this.session?.username === session.username;
    if (!same) this.#begin(session, this.lastForm.server);
    if (connection) this.server.apply(connection);
  }

  /**
   * The user compared a key with its owner: the gateway records it in the keyring (sealed) and
   * the keyring shown says "verified by you". Resolves with a problem to show, or undefined.
   */
  async verifyKey(name: string, fingerprint: string): Promise<string | undefined> {
    try {
      const { entry } = await this.client.request({ type: 'verifyKey', name, fingerprint });
      const session = this.session;
      if (session) session.keyring = withVerifiedKey(session.keyring, entry);
      return undefined;
    } catch (error) {
      return this.errorText(error);
    }
  }

  /** Keys the session process fetched from the server and pinned now join the keyring shown. */
  #pinned(keys: readonly { name: string; fingerprint: string }[]): void {
    const session = this.session;
    const keyring = session && withPinnedKeys(session.keyring, keys);
    if (session && keyring) session.keyring = keyring;
  }

  async signOut(): Promise<void> {
    try {
      await this.client.request({ type: 'signOut' });
    } catch {
      // The session is over either way.
    }
    this.composer.leave();
    this.#endSession('You signed out.');
  }

  /** From the "signed out" banner over a kept draft: on to the sign-in page. */
  signInAgain(): void {
    this.composer.save();
    this.ended = this.sessionLost;
    this.sessionLost = undefined;
    this.session = undefined;
    this.phase = this.connection.isOpen ? 'signIn' : 'offline';
  }

  // ---- events ----

  #onEvent(event: GatewayEvent): void {
    switch (event.type) {
      case 'hello': {
        this.advice = adviseProtocol(event);
        if (!keepsChosenProtocol(this.lastForm.protocol, this.#attempted, event, this.advice))
          this.lastForm = { ...this.lastForm, protocol: this.advice.preselect };
        if (event.resumed) this.#resume(event.resumed);
        else if (this.phase !== 'mail') this.phase = 'signIn';
        return;
      }
      case 'resumed':
        this.#resume(event);
        return;
      case 'serverConnection': {
        const change = this.server.apply(event);
        if (change) this.notices.say(ServerLink.announcement(change));
        // Back: the list is listed again (the session watches for new mail again), and an
        // email whose answer was lost goes again.
        if (change === 'back') {
          void this.mailbox.refresh();
          this.composer.retryUncertain();
        }
        return;
      }
      case 'newMail':
        this.mailbox.receive(event.items, event.total);
        return;
      case 'indexProgress':
        this.contentSearch.progressed(event.indexed, event.total, event.marks);
        return;
      case 'sessionEnded':
        this.#endSession(describeSessionEnd(event.reason, event.message));
        return;
    }
  }

  /** The session is over: a draft being written stays on screen; otherwise, the sign-in page. */
  #endSession(message: string): void {
    removeKey(this.#env.session, MARKER_KEY);
    this.server.reset();
    this.outcomeShown = undefined;
    this.composer.detach();
    if (this.phase === 'mail' && this.session && this.composer.hasUnsentWork) {
      this.sessionLost = message;
      this.helpOpen = false;
      return;
    }
    this.ended = message;
    this.session = undefined;
    this.sessionLost = undefined;
    this.reader.close();
    this.inbox.clear();
    this.sent.reset();
    this.helpOpen = false;
    this.phase = this.connection.isOpen ? 'signIn' : 'offline';
  }

  #onSocketLost(): void {
    if (this.session) this.#endSession(describeSessionEnd('gatewayGone', ''));
    if (!this.sessionLost) this.phase = 'offline';
  }

  /** A failed request: a lost session ends the view; anything else becomes a notice. */
  #handleFailure(error: unknown, notify = true): void {
    if (
      error instanceof GatewayRequestError &&
      (error.code === 'NOT_SIGNED_IN' || error.code === 'SESSION_ENDED')
    ) {
      this.#endSession(describeError(error.code, error.message));
      return;
    }
    if (error instanceof GatewayRequestError && error.code === 'DISCONNECTED') return;
    if (notify) this.notices.notify('error', this.errorText(error));
  }

  errorText(error: unknown, context: ErrorContext = {}): string {
    if (error instanceof GatewayRequestError) {
      return describeError(error.code, error.message, {
        retryAfterSeconds: error.retryAfterSeconds,
        ...context,
        server: context.server ?? this.session?.server ?? this.serverFor('classic'),
      });
    }
    return describeError('INTERNAL', error instanceof Error ? error.message : String(error));
  }
}
