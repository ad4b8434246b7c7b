import type { InboxItem } from '../../../gateway/messages.js';
import type { ComposerState } from './composer-state.svelte.js';
import { describeError } from './errors.js';
import { GatewayError, type GatewayClient } from './gateway-client.js';
import type { InboxState } from './inbox-state.svelte.js';
import { listingWithNew, newMailNotice } from './new-mail.js';
import type { Notices } from './notices.svelte.js';
import { replyDraft, type ReplyKind } from './quote.js';
import type { ReaderState } from './reader-state.svelte.js';
import type { SentState } from './sent-state.svelte.js';
import type { SettingsState } from './settings.svelte.js';

export type Folder = 'inbox' | 'drafts' | 'sent';

export interface MailboxDeps {
  client: GatewayClient;
  inbox: InboxState;
  reader: ReaderState;
  composer: ComposerState;
  sent: SentState;
  notices: Notices;
  settings: SettingsState;
  /** Signed in, with a live session. */
  isActive: () => boolean;
  username: () => string | undefined;
  /** A failed request: a lost session ends the view; anything else becomes a notice (if asked). */
  onFailure: (error: unknown, notify: boolean) => void;
  describe: (error: unknown) => string;
}

/** What the person does in the signed-in view: folders, listing, reading, marks, replies. */
export class MailboxState {
  folder = $state<Folder>('inbox');
  readonly #deps: MailboxDeps;

  constructor(deps: MailboxDeps) {
    this.#deps = deps;
  }

  /** Lists the inbox again; `announce` says the result aloud (the u key and the button). */
  async refresh(announce = false): Promise<void> {
    const { client, inbox, notices, isActive, onFailure } = this.#deps;
    if (!isActive() || inbox.refreshing) return;
    inbox.refreshing = true;
    try {
      const reply = await client.request({ type: 'listInbox' });
      const added = this.#applyListing(reply.items, inbox.loaded);
      if (announce && added === 0) notices.say(`Inbox checked: ${inbox.countText}, nothing new`);
    } catch (error) {
      onFailure(error, true);
    } finally {
      inbox.refreshing = false;
    }
  }

  /** The gateway's background check found new rows. */
  receive(items: InboxItem[], total: number): void {
    const { inbox, isActive } = this.#deps;
    if (!isActive()) return;
    this.#applyListing(listingWithNew(inbox.items, items, total), true);
    if (inbox.items.length !== total) void this.refresh();
  }

  /** Opens an email; `focus` moves the keyboard focus to it (it was opened with the keyboard). */
  async read(index: number, focus = false): Promise<void> {
    const { client, inbox, reader, composer, onFailure, describe } = this.#deps;
    const item = inbox.find(index);
    inbox.selected = index;
    this.folder = 'inbox';
    if (composer.open) composer.close();
    if (reader.open?.index === index && reader.open.email) {
      if (focus) reader.focusWhenShown = true;
      return;
    }
    reader.begin(index, focus);
    if (item) inbox.markRead([item], true);
    try {
      const reply = await client.request({ type: 'read', index });
      if (!reader.isOpen(index)) return;
      reader.open = { index, email: reply.email };
      if (item) inbox.remember(item, reply.email.content);
      composer.learn([reply.email.from, ...reply.email.to]);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'INVALID_INDEX') {
        reader.open = { index, error: describeError('INVALID_INDEX', error.message) };
        void this.refresh();
        return;
      }
      if (reader.isOpen(index)) reader.open = { index, error: describe(error) };
      onFailure(error, false);
    }
  }

  /** j/k: moves the selection; an open email follows it, as in a mail client's reading pane. */
  move(delta: number): void {
    const { inbox, reader, composer } = this.#deps;
    const next = inbox.stepFrom(delta);
    if (next === undefined) return;
    inbox.selected = next;
    if (reader.open && !composer.open) void this.read(next);
  }

  /** The email the keys act on: the open one, else the selected one. */
  get current(): InboxItem | undefined {
    const { inbox, reader } = this.#deps;
    const index = reader.open?.index ?? inbox.selected;
    return index === undefined ? undefined : inbox.find(index);
  }

  /** Hides an email on this device only; it stays on the server. */
  hide(item: InboxItem | undefined = this.current): void {
    const { inbox, reader, notices } = this.#deps;
    if (!item) return;
    const next = inbox.stepFrom(1);
    inbox.setHidden([item], true);
    if (reader.isOpen(item.index)) reader.close();
    inbox.selected = next === item.index ? undefined : next;
    notices.notify('info', 'Hidden on this device. It is still on the server.', {
      action: {
        kind: 'undo',
        label: 'Undo',
        run: () => {
          inbox.setHidden([item], false);
        },
      },
    });
  }

  markUnread(item: InboxItem | undefined = this.current): void {
    const { inbox, reader, notices } = this.#deps;
    if (!item) return;
    inbox.markRead([item], false);
    if (reader.isOpen(item.index)) reader.close();
    notices.say('Marked as unread');
  }

  reply(kind: ReplyKind): void {
    const { reader, composer, username } = this.#deps;
    const email = reader.open?.email;
    const me = username();
    if (!email || me === undefined) return;
    const { draft, shortened } = replyDraft(kind, email, me);
    composer.start(draft);
    if (shortened)
      composer.note = 'The quoted email was shortened to fit the 1,000,000-character limit.';
  }

  showFolder(folder: Folder): void {
    const { composer, sent } = this.#deps;
    this.folder = folder;
    if (composer.open) composer.close();
    if (folder === 'sent') void sent.load();
  }

  /** Folds a listing in and tells of new mail (`live`: not the first listing); returns how many are new. */
  #applyListing(items: InboxItem[], live: boolean): number {
    const { inbox, composer, notices } = this.#deps;
    const added = inbox.apply(items);
    inbox.loaded = true;
    composer.learn(items.map((item) => item.from));
    if (!live || added.length === 0) return added.length;
    const { text, open } = newMailNotice(added);
    const action =
      open === undefined
        ? {}
        : {
            action: { kind: 'open' as const, label: 'Open', run: () => void this.read(open, true) },
          };
    notices.notify('info', text, action);
    this.#notifyDesktop(text, open);
    return added.length;
  }

  /** A desktop notification, only while the tab is in the background and when allowed. */
  #notifyDesktop(text: string, open: number | undefined): void {
    if (
      !this.#deps.settings.value.desktopNotifications ||
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
}
