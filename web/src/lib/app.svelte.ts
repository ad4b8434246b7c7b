import type { ChannelKind, EmailView, InboxItem } from '../../../gateway/messages.js';
import { emptyDraft, finalRecipients, isDraftEmpty, sendBlocker, type Draft } from './compose.js';
import {
  describeError,
  describeSessionEnd,
  type ClientErrorCode,
  type ErrorContext,
} from './errors.js';
import {
  GatewayClient,
  GatewayError,
  gatewaySocketUrl,
  type GatewayEvent,
} from './gateway-client.js';
import {
  DEFAULT_SORT,
  countLabel,
  identity,
  mergeInbox,
  sortInbox,
  step,
  type SortOrder,
} from './inbox.js';

export type Phase = 'connecting' | 'offline' | 'signIn' | 'mail';

export interface Session {
  username: string;
  server: string;
  protocol: ChannelKind;
  serverFingerprint?: string;
}

export interface Notice {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
  /** The email a "new mail" notice offers to open. */
  openIndex?: number;
}

export interface OpenEmail {
  index: number;
  email?: EmailView;
  error?: string;
}

export interface SignInForm {
  server: string;
  username: string;
  password: string;
  protocol: ChannelKind;
}

export interface Sending {
  bytes: number;
  /** 0 to 1: the share handed to the network; 1 while the server stores it. */
  progress: number;
}

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const NOTICE_MS = 7000;
const SIGN_IN_TIMEOUT_MS = 45_000;

/** The whole state of the mail client and the actions on it; components only display it. */
export class MailApp {
  phase = $state<Phase>('connecting');
  /** Where a sign-in without a server goes, per protocol (the enhanced server has its own port). */
  defaultServer = $state('');
  enhancedServer = $state('');
  protocols = $state<ChannelKind[]>(['classic']);
  pollSeconds = $state(0);
  session = $state<Session | undefined>();
  /** Why the last session ended, shown on the sign-in page. */
  ended = $state<string | undefined>();
  lastForm = $state<Omit<SignInForm, 'password'>>({
    server: '',
    username: '',
    protocol: 'classic',
  });
  reconnectInSeconds = $state(0);

  items = $state.raw<InboxItem[]>([]);
  inboxLoaded = $state(false);
  refreshing = $state(false);
  sort = $state<SortOrder>(DEFAULT_SORT);
  sorted = $derived(sortInbox(this.items, this.sort));
  countText = $derived(countLabel(this.items.length));
  /** Emails that arrived while the page was open and have not been opened yet. */
  unread = $state.raw<ReadonlySet<string>>(new Set());
  selected = $state<number | undefined>();
  open = $state.raw<OpenEmail | undefined>();

  composing = $state(false);
  draft = $state<Draft>(emptyDraft());
  sending = $state.raw<Sending | undefined>();
  composeError = $state<string | undefined>();

  helpOpen = $state(false);
  notices = $state.raw<Notice[]>([]);
  /** Text for the polite live region (new mail, sent, opened). */
  announcement = $state('');

  readonly #client: GatewayClient;
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #countdownTimer: ReturnType<typeof setInterval> | undefined;
  #noticeId = 0;
  #composingWhenEnded = false;
  #attempted = false;

  constructor(connect: () => WebSocket = () => new WebSocket(gatewaySocketUrl(location))) {
    this.#client = new GatewayClient({
      connect,
      onOpen: () => {
        this.#reconnectAttempt = 0;
      },
      onEvent: (event) => {
        this.#onEvent(event);
      },
      onClose: () => {
        this.#onSocketClosed();
      },
    });
  }

  start(): void {
    this.phase = 'connecting';
    this.#client.open();
  }

  /** The server a sign-in with an empty server field reaches with this protocol. */
  serverFor(protocol: ChannelKind): string {
    return protocol === 'enhanced' && this.enhancedServer !== ''
      ? this.enhancedServer
      : this.defaultServer;
  }

  get blocker(): string | undefined {
    return sendBlocker(this.draft);
  }

  // ---- session ----

  /** Signs in; resolves with an error text for the form, or undefined on success. */
  async signIn(form: SignInForm): Promise<string | undefined> {
    this.lastForm = { server: form.server, username: form.username, protocol: form.protocol };
    this.#attempted = true;
    try {
      // A sign-in reaches a mail server that may not answer; the form must not wait forever.
      const reply = await this.#client.request({ type: 'signIn', ...form }, SIGN_IN_TIMEOUT_MS);
      this.session = {
        username: reply.username,
        server: reply.server,
        protocol: reply.protocol,
        ...(reply.serverFingerprint === undefined
          ? {}
          : { serverFingerprint: reply.serverFingerprint }),
      };
      this.ended = undefined;
      this.phase = 'mail';
      this.items = [];
      this.inboxLoaded = false;
      this.unread = new Set();
      this.selected = undefined;
      this.open = undefined;
      this.composing = this.#composingWhenEnded && !isDraftEmpty(this.draft);
      this.#composingWhenEnded = false;
      void this.refresh();
      return undefined;
    } catch (error) {
      return this.#errorText(error, {
        username: form.username,
        server: form.server || this.serverFor(form.protocol),
        protocol: form.protocol,
      });
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.#client.request({ type: 'signOut' });
    } catch {
      // The session is over either way.
    }
    this.draft = emptyDraft();
    this.composing = false;
    this.#endSession('You signed out.', false);
  }

  // ---- inbox ----

  /** Lists the inbox again; `announce` says the result aloud (the r key and the button). */
  async refresh(announce = false): Promise<void> {
    if (this.phase !== 'mail' || this.refreshing) return;
    this.refreshing = true;
    try {
      const reply = await this.#client.request({ type: 'listInbox' });
      const before = this.items.length;
      this.#applyListing(reply.items, this.inboxLoaded);
      this.inboxLoaded = true;
      if (announce && this.items.length === before)
        this.announcement = `Inbox refreshed: ${countLabel(this.items.length)}, nothing new`;
    } catch (error) {
      this.#handleFailure(error);
    } finally {
      this.refreshing = false;
    }
  }

  setSort(order: SortOrder): void {
    this.sort = order;
  }

  select(index: number | undefined): void {
    this.selected = index;
  }

  /** j/k: moves the selection; an open email follows it, as in a mail client's reading pane. */
  move(delta: number): void {
    const next = step(this.sorted, this.selected, delta);
    if (next === undefined) return;
    this.selected = next;
    if (this.open && !this.composing) void this.read(next);
  }

  async read(index: number): Promise<void> {
    const item = this.items.find((row) => row.index === index);
    this.selected = index;
    this.composing = false;
    if (this.open?.index === index && this.open.email) return;
    this.open = { index };
    if (item) this.#markRead(item);
    // A "new email" notice has done its work once that email is open.
    this.notices = this.notices.filter((notice) => notice.openIndex !== index);
    try {
      const reply = await this.#client.request({ type: 'read', index });
      if (this.#isOpen(index)) this.open = { index, email: reply.email };
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'INVALID_INDEX') {
        this.open = { index, error: describeError('INVALID_INDEX', error.message) };
        void this.refresh();
        return;
      }
      if (this.#isOpen(index)) this.open = { index, error: this.#errorText(error) };
      this.#handleFailure(error, false);
    }
  }

  /** Whether this email is still the open one (another may have been opened meanwhile). */
  #isOpen(index: number): boolean {
    return this.open?.index === index;
  }

  closeEmail(): void {
    this.open = undefined;
  }

  // ---- compose ----

  startCompose(prefill?: Partial<Draft>): void {
    if (prefill) this.draft = { ...emptyDraft(), ...prefill };
    this.composeError = undefined;
    this.composing = true;
  }

  closeCompose(): void {
    this.composing = false;
  }

  discardDraft(): void {
    this.draft = emptyDraft();
    this.composing = false;
    this.composeError = undefined;
  }

  async send(): Promise<boolean> {
    if (this.sending || this.blocker !== undefined) return false;
    const to = finalRecipients(this.draft);
    this.draft.to = to;
    this.draft.pending = '';
    const { title, content } = this.draft;
    const bytes = new TextEncoder().encode(content).byteLength;
    this.sending = { bytes, progress: 0 };
    this.composeError = undefined;
    const reply = this.#client.request({ type: 'send', to, title, content });
    const watch = (): void => {
      if (!this.sending) return;
      const buffered = this.#client.bufferedAmount;
      this.sending = {
        bytes,
        progress: bytes === 0 ? 1 : Math.min(1, Math.max(0, 1 - buffered / bytes)),
      };
      if (buffered > 0) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    try {
      const sent = await reply;
      this.draft = emptyDraft();
      this.composing = false;
      this.notify('success', `Sent to ${sent.recipients.join(', ')}. The server has stored it.`);
      return true;
    } catch (error) {
      this.composeError = this.#errorText(error);
      this.#handleFailure(error, false);
      return false;
    } finally {
      this.sending = undefined;
    }
  }

  // ---- notices ----

  notify(tone: Notice['tone'], text: string, openIndex?: number): void {
    const notice: Notice = {
      id: ++this.#noticeId,
      tone,
      text,
      ...(openIndex === undefined ? {} : { openIndex }),
    };
    this.notices = [...this.notices.slice(-3), notice];
    this.announcement = text;
    if (tone !== 'error') {
      setTimeout(() => {
        this.dismiss(notice.id);
      }, NOTICE_MS);
    }
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((notice) => notice.id !== id);
  }

  isUnread(item: InboxItem): boolean {
    return this.unread.has(identity(item));
  }

  // ---- internals ----

  #onEvent(event: GatewayEvent): void {
    switch (event.type) {
      case 'hello':
        this.defaultServer = event.defaultServer;
        this.enhancedServer = event.enhancedServer ?? '';
        this.protocols = event.protocols.length > 0 ? event.protocols : ['classic'];
        this.pollSeconds = event.pollSeconds;
        // The gateway recommends a protocol (enhanced when it can reach the enhanced server).
        if (!this.#attempted || !this.protocols.includes(this.lastForm.protocol)) {
          const recommended = event.defaultProtocol ?? this.protocols[0] ?? 'classic';
          this.lastForm = {
            ...this.lastForm,
            protocol: this.protocols.includes(recommended) ? recommended : 'classic',
          };
        }
        if (this.phase !== 'mail') this.phase = 'signIn';
        return;
      case 'newMail':
        this.#onNewMail(event.items, event.total);
        return;
      case 'sessionEnded':
        this.#endSession(
          describeSessionEnd(event.reason, event.message),
          event.reason !== 'signedOut',
        );
        return;
    }
  }

  #onNewMail(items: InboxItem[], total: number): void {
    if (this.phase !== 'mail') return;
    if (items.length === total) {
      this.#applyListing(items, true);
    } else {
      // Only the new rows came: add them, and list again if the count still disagrees.
      const known = new Set(this.items.map(identity));
      this.#applyListing(
        [...this.items, ...items.filter((item) => !known.has(identity(item)))],
        true,
      );
      if (this.items.length !== total) void this.refresh();
    }
  }

  #applyListing(fresh: InboxItem[], announce: boolean): void {
    const { items, added } = mergeInbox(this.items, fresh);
    this.items = items;
    const present = new Set(items.map(identity));
    const unread = new Set([...this.unread].filter((key) => present.has(key)));
    if (announce) for (const item of added) unread.add(identity(item));
    this.unread = unread;
    if (this.selected !== undefined && !items.some((item) => item.index === this.selected))
      this.selected = undefined;
    if (announce && added.length > 0) {
      const newest = added[added.length - 1];
      const text =
        added.length === 1 && newest
          ? `New email from ${newest.from}: ${newest.title === '' ? '(no title)' : newest.title}`
          : `${added.length} new emails`;
      this.notify('info', text, added.length === 1 ? newest?.index : undefined);
    }
  }

  #markRead(item: InboxItem): void {
    const key = identity(item);
    if (!this.unread.has(key)) return;
    const unread = new Set(this.unread);
    unread.delete(key);
    this.unread = unread;
  }

  /** Ends the signed-in view; an open draft stays, to reopen after the next sign-in. */
  #endSession(message: string, keepComposing: boolean): void {
    if (this.phase !== 'mail' && this.session === undefined) {
      this.ended = message;
      return;
    }
    this.#composingWhenEnded = keepComposing && this.composing;
    this.session = undefined;
    this.ended = message;
    this.open = undefined;
    this.items = [];
    this.inboxLoaded = false;
    this.helpOpen = false;
    this.sending = undefined;
    this.phase = this.#client.isOpen ? 'signIn' : 'offline';
  }

  #onSocketClosed(): void {
    if (this.session) this.#endSession(describeSessionEnd('gatewayGone', ''), true);
    this.phase = 'offline';
    const delay =
      RECONNECT_DELAYS_MS[Math.min(this.#reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)] ?? 8000;
    this.#reconnectAttempt++;
    this.reconnectInSeconds = Math.ceil(delay / 1000);
    clearInterval(this.#countdownTimer);
    this.#countdownTimer = setInterval(() => {
      this.reconnectInSeconds = Math.max(0, this.reconnectInSeconds - 1);
    }, 1000);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      clearInterval(this.#countdownTimer);
      this.#client.open();
    }, delay);
  }

  retryNow(): void {
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#countdownTimer);
    this.phase = 'connecting';
    this.#client.open();
  }

  /** A failed request: a lost session ends the view; anything else becomes a notice. */
  #handleFailure(error: unknown, notify = true): void {
    if (
      error instanceof GatewayError &&
      (error.code === 'NOT_SIGNED_IN' || error.code === 'SESSION_ENDED')
    ) {
      this.#endSession(describeError(error.code, error.message), true);
      return;
    }
    if (error instanceof GatewayError && error.code === 'DISCONNECTED') return;
    if (notify) this.notify('error', this.#errorText(error));
  }

  #errorText(error: unknown, context: ErrorContext = {}): string {
    if (error instanceof GatewayError) {
      return describeError(error.code, error.message, {
        ...context,
        server: context.server ?? this.session?.server ?? this.defaultServer,
      });
    }
    return describeError(
      'INTERNAL' satisfies ClientErrorCode,
      error instanceof Error ? error.message : String(error),
    );
  }
}
