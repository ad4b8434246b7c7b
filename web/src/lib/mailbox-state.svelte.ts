import type { EmailView, InboxItem, SessionCapabilities } from '../../../gateway/messages.js';
import type { ComposerState } from './composer-state.svelte.js';
import { describeError } from './errors.js';
import { GatewayRequestError, type GatewayClient } from './gateway-client.js';
import { BulkActions } from './bulk-actions.js';
import { isListedEmail, refOf } from './inbox.js';
import type { InboxState } from './inbox-state.svelte.js';
import { MailMarks } from './mail-marks.svelte.js';
import { listingWithNew, newMailNotice } from './new-mail.js';
import type { Notices } from './notices.svelte.js';
import { replyDraft, type ReplyKind } from './quote.js';
import type { ReaderState } from './reader-state.svelte.js';
import { Selection } from './selection.svelte.js';
import { sentAsEmail } from './sent-rows.js';
import type { SentState } from './sent-state.svelte.js';
import type { SettingsState } from './settings.svelte.js';

export type Folder = 'inbox' | 'drafts' | 'sent' | 'trash';

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
  /** What the session can do beyond the protocol's four operations (none when signed out). */
  capabilities: () => SessionCapabilities | undefined;
  /** A failed request: a lost session ends the view; anything else becomes a notice (if asked). */
  onFailure: (error: unknown, notify: boolean) => void;
  describe: (error: unknown) => string;
  /** An email was opened (the keys it names may be new to the keyring shown). */
  onOpened?: (email: EmailView) => void;
}

/**
 * What the person does in the signed-in view: folders, listing, reading, marks, deletes,
 * replies. Emails are named by their ref (refOf): read by id where the session lists ids, so
 * an index shifted by a delete or a delivery never opens another email.
 */
export class MailboxState {
  folder = $state<Folder>('inbox');
  readonly #deps: MailboxDeps;
  /** Read marks and the Trash, kept by the gateway; the emails ticked; what is done to many. */
  readonly marks: MailMarks;
  readonly selection = new Selection();
  readonly bulk: BulkActions;

  constructor(deps: MailboxDeps) {
    this.#deps = deps;
    const { client, inbox, reader, notices, onFailure } = deps;
    this.marks = new MailMarks({
      client,
      inbox,
      onFailure: (error) => {
        onFailure(error, true);
      },
    });
    this.bulk = new BulkActions({
      inbox,
      selection: this.selection,
      marks: this.marks,
      reader,
      notices,
    });
  }

  /** The inbox and the Trash show the same listing, each its part of it. */
  get listsInbox(): boolean {
    return this.folder === 'inbox' || this.folder === 'trash';
  }

  /** Lists the inbox again; `announce` says the result aloud (the u key and the button). */
  async refresh(announce = false): Promise<void> {
    const { client, inbox, notices, isActive, onFailure } = this.#deps;
    if (!isActive() || inbox.refreshing) return;
    inbox.refreshing = true;
    try {
      // A session's first listing: its read marks and Trash first (expired emails go then).
      if (!inbox.loaded) {
        this.selection.clear();
        await this.marks.load();
      }
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
  async read(ref: string, focus = false): Promise<void> {
    const { client, inbox, reader, composer, onFailure, describe } = this.#deps;
    const item = inbox.find(ref);
    inbox.selected = ref;
    if (!this.listsInbox) this.showFolder('inbox');
    if (composer.open) composer.close();
    if (reader.open?.ref === ref && reader.open.email) {
      if (focus) reader.focusWhenShown = true;
      return;
    }
    if (!item) return;
    reader.begin(ref, focus);
    inbox.markRead([item], true);
    try {
      const reply = await client.request({
        type: 'read',
        index: item.index,
        ...(item.id === undefined ? {} : { emailId: item.id }),
      });
      if (!reader.isOpen(ref)) return;
      if (item.id === undefined && !isListedEmail(item, reply.email)) {
        reader.open = {
          ref,
          error:
            'The inbox changed on the server while this page showed it, so that place now holds another email. The list has been refreshed: open the email again.',
        };
        void this.refresh();
        return;
      }
      reader.open = { ref, email: reply.email };
      inbox.remember(item, reply.email.content);
      inbox.setSecurity(item, reply.email.security);
      this.#deps.onOpened?.(reply.email);
      composer.learn([reply.email.from, ...reply.email.to]);
    } catch (error) {
      if (error instanceof GatewayRequestError && error.code === 'INVALID_INDEX') {
        reader.open = { ref, error: describeError('INVALID_INDEX', error.message) };
        void this.refresh();
        return;
      }
      if (reader.isOpen(ref)) reader.open = { ref, error: describe(error) };
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
    const ref = reader.open?.ref ?? inbox.selected;
    return ref === undefined ? undefined : inbox.find(ref);
  }

  /** Whether emails can be deleted on the server in this session. */
  get canDelete(): boolean {
    return this.#deps.capabilities()?.delete === true;
  }

  /** The email leaves the list and the reader; the selection moves to the next one. */
  #setAside(item: InboxItem): void {
    const { inbox, reader } = this.#deps;
    const ref = refOf(item);
    const next = inbox.stepFrom(1);
    if (reader.isOpen(ref)) reader.close();
    inbox.selected = next === ref ? undefined : next;
  }

  /** Hides an email on this device only; it stays on the server. */
  hide(item: InboxItem | undefined = this.current): void {
    const { inbox, notices } = this.#deps;
    if (!item) return;
    this.#setAside(item);
    inbox.setHidden([item], true);
    const where = this.canDelete
      ? 'It is still on the server (# deletes it there).'
      : 'It is still on the server: the classic protocol cannot delete.';
    notices.notify('info', `Hidden on this device. ${where}`, {
      action: {
        kind: 'undo',
        label: 'Undo',
        run: () => {
          inbox.setHidden([item], false);
        },
      },
    });
  }

  /**
   * Moves an email to the Trash, with Undo (the row leaves the list at once): restorable there
   * until the Trash is emptied or its days pass, then deleted on the server. Without delete in
   * the session, says so: hiding is what this device can do.
   */
  delete(item: InboxItem | undefined = this.current): void {
    const { notices } = this.#deps;
    // In the Trash, a delete is for good.
    if (this.folder === 'trash') return void this.bulk.emptyTrash(false);
    if (this.selection.size > 0) return void this.bulk.trashChosen();
    if (!item) return;
    if (!this.canDelete || item.id === undefined) {
      notices.notify(
        'info',
        'The classic protocol cannot delete email: its server has no such operation. Press e to hide it on this device instead.',
      );
      return;
    }
    this.#setAside(item);
    void this.bulk.trashChosen([item]);
  }

  markUnread(item: InboxItem | undefined = this.current): void {
    const { inbox, reader, notices } = this.#deps;
    if (this.selection.size > 0) {
      this.bulk.markChosen(false);
      return;
    }
    if (!item) return;
    inbox.markRead([item], false);
    if (reader.isOpen(refOf(item))) reader.close();
    notices.say('Marked as unread');
  }

  /** Replies to or forwards the open email: of the inbox, or of Sent (to its recipients again). */
  reply(kind: ReplyKind): void {
    const { reader, composer, username, sent } = this.#deps;
    const me = username();
    const sentEmail = this.folder === 'sent' ? sent.open?.email : undefined;
    const email = sentEmail && me !== undefined ? sentAsEmail(sentEmail, me) : reader.open?.email;
    if (!email || me === undefined) return;
    const { draft, shortened } = replyDraft(kind, email, me);
    composer.start(draft);
    if (shortened)
      composer.note = 'The quoted email was shortened to fit the 1,000,000-character limit.';
  }

  showFolder(folder: Folder): void {
    const { composer, sent, inbox, reader } = this.#deps;
    if (folder !== this.folder) this.selection.clear();
    if ((folder === 'trash') !== (inbox.view === 'trash')) {
      reader.close();
      inbox.selected = undefined;
      inbox.view = folder === 'trash' ? 'trash' : 'inbox';
    }
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
  #notifyDesktop(text: string, open: string | undefined): void {
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
