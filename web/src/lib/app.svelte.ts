import type { ChannelKind, InboxItem } from '../../../gateway/messages.js';
import { isDraftEmpty } from './compose.js';
import { ComposerState } from './composer-state.svelte.js';
import { GatewayConnection } from './connection.svelte.js';
import { describeError, describeSessionEnd, type ErrorContext } from './errors.js';
import { plural } from './format.js';
import { GatewayError, gatewaySocketUrl, type GatewayEvent } from './gateway-client.js';
import { InboxState } from './inbox-state.svelte.js';
import { Notices } from './notices.svelte.js';
import { adviseProtocol, rememberEnhanced, type ProtocolAdvice } from './protocol-memory.js';
import { replyDraft, type ReplyKind } from './quote.js';
import { ReaderState } from './reader-state.svelte.js';
import { SentState } from './sent-state.svelte.js';
import { endedByPageLoad, parseMarker, type SessionMarker } from './session-marker.js';
import { SettingsState } from './settings.svelte.js';
import {
  accountOf,
  deviceKey,
  isStringArray,
  MemoryStore,
  readJson,
  removeKey,
  writeJson,
  type KeyValueStore,
} from './storage.js';

export type Phase = 'connecting' | 'offline' | 'signIn' | 'mail';
export type Folder = 'inbox' | 'drafts' | 'sent';

export interface Session {
  username: string;
  server: string;
  protocol: ChannelKind;
  serverFingerprint?: string;
}

export interface SignInForm {
  server: string;
  username: string;
  password: string;
  protocol: ChannelKind;
}

export interface AppEnvironment {
  connect: () => WebSocket;
  local: KeyValueStore;
  session: KeyValueStore;
  /** The Navigation Timing type of this page load ('reload', 'navigate', …). */
  navigation: string;
}

const SIGN_IN_TIMEOUT_MS = 45_000;
const MARKER_KEY = deviceKey('signed-in');
const ENHANCED_SEEN_KEY = deviceKey('enhanced-servers');

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
  folder = $state<Folder>('inbox');
  helpOpen = $state(false);
  settingsOpen = $state(false);

  readonly notices = new Notices();
  readonly connection: GatewayConnection;
  readonly settings: SettingsState;
  readonly inbox: InboxState;
  readonly reader = new ReaderState();
  readonly composer: ComposerState;
  readonly sent: SentState;
  /** The account whose drafts are kept from before a reload, to say so at sign-in. */
  readonly keptFrom: SessionMarker | undefined;
  readonly #env: AppEnvironment;
  #attempted = false;

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
    this.sent = new SentState(this.connection.client, describe);
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
      onSent: () => {
        this.sent.invalidate();
        if (this.folder === 'sent') void this.sent.load();
      },
    });
    const marker = parseMarker(readJson(env.session, MARKER_KEY));
    this.keptFrom = marker;
    if (marker) {
      removeKey(env.session, MARKER_KEY);
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

  /** What the status bar says when no notice is shown. */
  get statusLine(): string {
    const seconds = this.connection.hello?.pollSeconds ?? 0;
    if (this.sessionLost) return 'Signed out';
    return seconds > 0
      ? `New mail is checked every ${plural(seconds, 'second')} · press ? for shortcuts`
      : 'New mail shows when you check (u) · press ? for shortcuts';
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
      this.session = {
        username: reply.username,
        server: reply.server,
        protocol: reply.protocol,
        ...(reply.serverFingerprint === undefined
          ? {}
          : { serverFingerprint: reply.serverFingerprint }),
      };
      writeJson(this.#env.session, MARKER_KEY, {
        username: reply.username,
        typedServer: form.server,
        protocol: reply.protocol,
        server: reply.server,
      } satisfies SessionMarker);
      const account = accountOf(reply.username, reply.server);
      this.ended = undefined;
      this.sessionLost = undefined;
      this.folder = 'inbox';
      this.reader.close();
      this.inbox.reset(account);
      this.sent.reset();
      this.composer.attach(account);
      this.phase = 'mail';
      void this.refresh();
      return undefined;
    } catch (error) {
      return this.errorText(error, {
        username: form.username,
        server: form.server || this.serverFor(form.protocol),
        protocol: form.protocol,
      });
    }
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

  // ---- mail ----

  /** Lists the inbox again; `announce` says the result aloud (the u key and the button). */
  async refresh(announce = false): Promise<void> {
    if (this.phase !== 'mail' || this.inbox.refreshing || this.sessionLost) return;
    this.inbox.refreshing = true;
    try {
      const reply = await this.client.request({ type: 'listInbox' });
      const added = this.#applyListing(reply.items);
      if (announce && added === 0)
        this.notices.say(`Inbox checked: ${this.inbox.countText}, nothing new`);
    } catch (error) {
      this.#handleFailure(error);
    } finally {
      this.inbox.refreshing = false;
    }
  }

  /** Opens an email; `focus` moves the keyboard focus to it (it was opened with the keyboard). */
  async read(index: number, focus = false): Promise<void> {
    const item = this.inbox.find(index);
    this.inbox.selected = index;
    this.folder = 'inbox';
    if (this.composer.open) this.composer.close();
    if (this.reader.open?.index === index && this.reader.open.email) {
      if (focus) this.reader.focusWhenShown = true;
      return;
    }
    this.reader.begin(index, focus);
    if (item) this.inbox.markRead([item], true);
    try {
      const reply = await this.client.request({ type: 'read', index });
      if (!this.reader.isOpen(index)) return;
      this.reader.open = { index, email: reply.email };
      if (item) this.inbox.remember(item, reply.email.content);
      this.composer.learn([reply.email.from, ...reply.email.to]);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'INVALID_INDEX') {
        this.reader.open = { index, error: describeError('INVALID_INDEX', error.message) };
        void this.refresh();
        return;
      }
      if (this.reader.isOpen(index)) this.reader.open = { index, error: this.errorText(error) };
      this.#handleFailure(error, false);
    }
  }

  /** j/k: moves the selection; an open email follows it, as in a mail client's reading pane. */
  move(delta: number): void {
    const next = this.inbox.stepFrom(delta);
    if (next === undefined) return;
    this.inbox.selected = next;
    if (this.reader.open && !this.composer.open) void this.read(next);
  }

  /** The email the keys act on: the open one, else the selected one. */
  get current(): InboxItem | undefined {
    const index = this.reader.open?.index ?? this.inbox.selected;
    return index === undefined ? undefined : this.inbox.find(index);
  }

  /** Hides an email on this device only; it stays on the server. */
  hide(item: InboxItem | undefined = this.current): void {
    if (!item) return;
    const next = this.inbox.stepFrom(1);
    this.inbox.setHidden([item], true);
    if (this.reader.isOpen(item.index)) this.reader.close();
    this.inbox.selected = next === item.index ? undefined : next;
    this.notices.notify('info', 'Hidden on this device. It is still on the server.', {
      action: {
        kind: 'undo',
        label: 'Undo',
        run: () => {
          this.inbox.setHidden([item], false);
        },
      },
    });
  }

  markUnread(item: InboxItem | undefined = this.current): void {
    if (!item) return;
    this.inbox.markRead([item], false);
    if (this.reader.isOpen(item.index)) this.reader.close();
    this.notices.say('Marked as unread');
  }

  reply(kind: ReplyKind): void {
    const email = this.reader.open?.email;
    if (!email || !this.session) return;
    const { draft, shortened } = replyDraft(kind, email, this.session.username);
    this.composer.start(draft);
    if (shortened)
      this.composer.note = 'The quoted email was shortened to fit the 1,000,000-character limit.';
  }

  showFolder(folder: Folder): void {
    this.folder = folder;
    if (this.composer.open) this.composer.close();
    if (folder === 'sent') void this.sent.load();
  }

  // ---- events ----

  #onEvent(event: GatewayEvent): void {
    switch (event.type) {
      case 'hello': {
        const seen = readJson(this.#env.local, ENHANCED_SEEN_KEY);
        const known = isStringArray(seen) ? seen : [];
        this.advice = adviseProtocol(known, event);
        writeJson(this.#env.local, ENHANCED_SEEN_KEY, rememberEnhanced(known, event));
        const available = event.protocols;
        const chosen = this.lastForm.protocol;
        if (
          !this.#attempted ||
          chosen === undefined ||
          !available.includes(chosen) ||
          this.advice.missingEnhanced
        )
          this.lastForm = { ...this.lastForm, protocol: this.advice.preselect };
        if (this.phase !== 'mail') this.phase = 'signIn';
        return;
      }
      case 'newMail':
        this.#onNewMail(event.items, event.total);
        return;
      case 'sessionEnded':
        this.#endSession(describeSessionEnd(event.reason, event.message));
        return;
    }
  }

  #onNewMail(items: InboxItem[], total: number): void {
    if (this.phase !== 'mail' || this.sessionLost) return;
    const known = new Set(this.inbox.items.map((item) => item.index));
    const merged =
      items.length === total
        ? items
        : [...this.inbox.items, ...items.filter((item) => !known.has(item.index))];
    this.#applyListing(merged, true);
    if (this.inbox.items.length !== total) void this.refresh();
  }

  /** Folds a listing in and tells of new mail; returns how many emails are new. */
  #applyListing(items: InboxItem[], live = this.inbox.loaded): number {
    const added = this.inbox.apply(items);
    this.inbox.loaded = true;
    this.composer.learn(items.map((item) => item.from));
    if (!live || added.length === 0) return added.length;
    const newest = added[added.length - 1];
    const text =
      added.length === 1 && newest
        ? `New email from ${newest.from}: ${newest.title === '' ? '(no title)' : newest.title}`
        : `${added.length} new emails`;
    const open = newest && added.length === 1 ? newest.index : undefined;
    this.notices.notify('info', text, {
      ...(open === undefined
        ? {}
        : {
            action: { kind: 'open' as const, label: 'Open', run: () => void this.read(open, true) },
          }),
    });
    this.#notifyDesktop(text, open);
    return added.length;
  }

  /** A desktop notification, only while the tab is in the background and when allowed. */
  #notifyDesktop(text: string, open: number | undefined): void {
    if (
      !this.settings.value.desktopNotifications ||
      typeof Notification === 'undefined' ||
      Notification.permission !== 'granted' ||
      document.visibilityState !== 'hidden'
    )
      return;
    const notification = new Notification('Sealed Mail', { body: text, tag: 'new-mail' });
    notification.onclick = () => {
      window.focus();
      if (open !== undefined) void this.read(open, true);
      notification.close();
    };
  }

  /** The session is over: a draft being written stays on screen; otherwise, the sign-in page. */
  #endSession(message: string): void {
    removeKey(this.#env.session, MARKER_KEY);
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
      error instanceof GatewayError &&
      (error.code === 'NOT_SIGNED_IN' || error.code === 'SESSION_ENDED')
    ) {
      this.#endSession(describeError(error.code, error.message));
      return;
    }
    if (error instanceof GatewayError && error.code === 'DISCONNECTED') return;
    if (notify) this.notices.notify('error', this.errorText(error));
  }

  errorText(error: unknown, context: ErrorContext = {}): string {
    if (error instanceof GatewayError) {
      return describeError(error.code, error.message, {
        ...context,
        server: context.server ?? this.session?.server ?? this.serverFor('classic'),
      });
    }
    return describeError('INTERNAL', error instanceof Error ? error.message : String(error));
  }
}

function browserEnvironment(): AppEnvironment {
  const navigation = performance.getEntriesByType('navigation')[0];
  return {
    connect: () => new WebSocket(gatewaySocketUrl(location)),
    local: storageOr(() => localStorage),
    session: storageOr(() => sessionStorage),
    navigation: navigation instanceof PerformanceNavigationTiming ? navigation.type : 'navigate',
  };
}

/** The browser's storage, or memory when it is disabled (the page still works, forgetting on reload). */
function storageOr(get: () => Storage): KeyValueStore {
  try {
    const store = get();
    store.getItem('sealed-mail:probe');
    return store;
  } catch {
    return new MemoryStore();
  }
}
