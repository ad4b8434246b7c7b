import type { RecipientSealing } from '../../../gateway/messages.js';
import { isDraftEmpty, sendBlocker, type Draft } from './compose.js';
import { ComposerSender, type Sending } from './composer-send.svelte.js';
import { sealingVerdict, type SealingVerdict } from './sealing.js';
import { SealingPlanner } from './sealing-planner.js';
import { parseUncertain, type UncertainSend } from './uncertain-send.js';
import { addContacts } from './contacts.js';
import type { SendOutcome, SentReply } from './delivery.js';
import {
  draftsAfterRemove,
  draftsAfterSave,
  newSavedDraft,
  parseDrafts,
  sortDrafts,
  type SavedDraft,
} from './drafts.js';
import type { GatewayClient } from './gateway-client.js';
import type { Notices } from './notices.svelte.js';
import { DraftShare, mergeDrafts } from './draft-share.js';
import type { SettingsState } from './settings.svelte.js';
import {
  accountKey,
  isStringArray,
  readJson,
  removeKey,
  writeJson,
  type Account,
  type KeyValueStore,
} from './storage.js';

export type { Sending, UncertainSend };

export interface ComposerDeps {
  client: GatewayClient;
  notices: Notices;
  settings: SettingsState;
  /** Per tab: drafts survive a reload. */
  session: KeyValueStore;
  /** Per device: contacts, and drafts when the settings say so. */
  local: KeyValueStore;
  /** A failed send: the caller decides whether the session is over. */
  onFailure: (error: unknown) => string;
  /** The server answered a send (it may have refused the email: see the outcome). */
  onSent: (reply: SentReply, outcome: SendOutcome) => void;
  /** Shows what became of a send in full (the notice's Details). */
  showOutcome: (outcome: SendOutcome) => void;
}

const SAVE_DELAY_MS = 400;
/** A draft this long is saved after a longer pause: writing it takes a while. */
const LONG_DRAFT = 100_000;
const LONG_SAVE_DELAY_MS = 2000;

/**
 * Writing email: the draft being edited, the saved drafts, contacts, sending with a few seconds
 * to undo, and what a send reports. Drafts are saved per user in the tab's session storage
 * (and in local storage when the settings ask for it).
 */
export class ComposerState {
  open = $state(false);
  draft = $state<SavedDraft>(newSavedDraft());
  drafts = $state.raw<SavedDraft[]>([]);
  contacts = $state.raw<string[]>([]);
  sending = $state.raw<Sending | undefined>();
  /** An email waiting out the undo time before it goes to the gateway. */
  held = $state.raw<SavedDraft | undefined>();
  error = $state<string | undefined>();
  /** Recipients never seen on this device, waiting for the person to confirm them. */
  unconfirmed = $state.raw<string[] | undefined>();
  /** The gateway's sealing plan for the draft's recipients (undefined until it answered). */
  sealingPlan = $state.raw<RecipientSealing[] | undefined>();
  /**
   * A reply or forward of a sealed email that cannot be sealed, waiting for the person's
   * explicit choice (its default is not to send).
   */
  unsealedReply = $state.raw<SealingVerdict | undefined>();
  /** The session asks the server for keys the keyring lacks (session version 3). */
  serverKeys = $state(false);
  /** Something to say about the draft (a quote shortened to fit). */
  note = $state<string | undefined>();
  signedIn = $state(false);
  /** The session reports what became of each recipient's copy (the enhanced protocol). */
  deliveryReports = $state(false);
  /** The session sends with send ids: a send tried again is stored once (session version 5). */
  sendIds = $state(false);
  /** A send whose answer was lost: it may have been delivered (see UncertainSend). */
  uncertain = $state.raw<UncertainSend | undefined>();
  /** Copies text still only in the content box into the draft (set by the box while it is shown). */
  syncEditor: (() => void) | undefined;

  readonly blocker = $derived(
    this.signedIn ? sendBlocker(this.draft) : 'You are signed out: sign in again to send.',
  );
  /**
   * Names this computer knows: contacts seen in mail, and anyone the sealing plan found a key
   * for (the keyring, or the server on the enhanced protocol). Only other names are asked about.
   */
  readonly knownNames = $derived([
    ...this.contacts,
    ...(this.sealingPlan ?? [])
      .filter((entry) => entry.state !== 'noKey')
      .map((entry) => entry.name),
  ]);
  /** What a send would do now: sealed, for whom, or why not. */
  readonly sealing = $derived(
    this.sealingPlan === undefined
      ? undefined
      : sealingVerdict(this.sealingPlan, this.draft, { serverKeys: this.serverKeys }),
  );
  readonly hasUnsentWork = $derived(
    (this.open && !isDraftEmpty(this.draft)) ||
      this.held !== undefined ||
      this.sending !== undefined ||
      this.uncertain !== undefined,
  );

  readonly #deps: ComposerDeps;
  #account: Account | undefined;
  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  /** The other tabs of this browser, signed in to the same account, share the drafts. */
  readonly #share = new DraftShare({
    current: (key) =>
      this.#account && accountKey(this.#account, 'drafts') === key ? this.drafts : undefined,
    received: (drafts, how) => {
      const open = this.open ? $state.snapshot(this.draft) : undefined;
      const list = how === 'merge' ? mergeDrafts(this.drafts, drafts) : drafts;
      // The draft on screen here stays as it is here.
      this.drafts = open ? draftsAfterSave(list, open) : list;
      this.#store();
    },
  });

  readonly #sender: ComposerSender;
  readonly #planner: SealingPlanner;

  constructor(deps: ComposerDeps) {
    this.#deps = deps;
    this.#planner = new SealingPlanner(this, deps.client);
    this.#sender = new ComposerSender(this, deps, {
      account: () => this.#account,
      forget: (names) => {
        this.#forget(names);
      },
    });
  }

  /**
   * A session began: this user's drafts and contacts; the draft being written carries over.
   * An email whose send lost its answer is sent again with the same id.
   */
  attach(account: Account, deliveryReports: boolean, serverKeys = false, sendIds = false): void {
    this.serverKeys = serverKeys;
    this.#planner.reset();
    const carried =
      this.open && !isDraftEmpty(this.draft) ? $state.snapshot(this.draft) : undefined;
    const sameUser = this.#account?.username === account.username;
    this.#account = account;
    this.signedIn = true;
    this.deliveryReports = deliveryReports;
    this.sendIds = sendIds;
    this.uncertain = parseUncertain(readJson(this.#deps.session, accountKey(account, 'uncertain')));
    this.contacts = addContacts(this.#load('contacts', isStringArray) ?? [], [account.username]);
    this.drafts = this.#loadDrafts();
    this.#share.ask(accountKey(account, 'drafts'));
    const reopen = readJson(this.#deps.session, accountKey(account, 'composing'));
    const draft =
      carried && (sameUser || this.drafts.length === 0)
        ? carried
        : this.drafts.find((entry) => entry.id === reopen);
    if (draft) {
      this.draft = draft;
      this.open = true;
      this.save();
    } else {
      this.open = false;
    }
    this.#sender.sendUncertain();
  }

  /** The mail server is back after an outage: an email whose answer was lost goes again. */
  retryUncertain(): void {
    this.#sender.retryUncertain();
  }

  /** The session ended: the draft on screen stays (and stays saved); nothing can be sent. */
  detach(): void {
    this.signedIn = false;
    this.sending = undefined;
    this.unconfirmed = undefined;
    this.unsealedReply = undefined;
  }

  /** Signed out on purpose: the composer closes; saved drafts stay in this tab. */
  leave(): void {
    this.save();
    this.detach();
    this.open = false;
    this.#account = undefined;
    this.drafts = [];
  }

  /** Saved drafts of an account, before signing in (to say they are kept). */
  hasDraftsOf(account: Account): boolean {
    return this.#loadDrafts(account).length > 0;
  }

  start(prefill?: Partial<Draft>): void {
    if (!prefill && this.open) return;
    this.save();
    this.draft = newSavedDraft(prefill);
    this.#opened();
  }

  edit(id: string): void {
    const draft = this.drafts.find((entry) => entry.id === id);
    if (!draft) return;
    this.save();
    this.draft = draft;
    this.#opened();
  }

  #opened(): void {
    this.error = undefined;
    this.unconfirmed = undefined;
    this.unsealedReply = undefined;
    void this.planSealing();
    this.note = undefined;
    this.open = true;
    this.save();
  }

  close(): void {
    // Saved while open (into the list), then again closed (no longer the one to reopen).
    this.save();
    this.open = false;
    this.save();
  }

  /**
   * The draft goes, at once and without asking; its notice has Undo (z), which brings it back
   * into the composer as it was. Asking first (confirm()) stopped the page and gave no way back.
   */
  discard(): void {
    this.syncEditor?.();
    const discarded = isDraftEmpty(this.draft) ? undefined : $state.snapshot(this.draft);
    this.drafts = draftsAfterRemove(this.drafts, this.draft.id);
    this.draft = newSavedDraft();
    this.open = false;
    this.error = undefined;
    this.unconfirmed = undefined;
    this.save();
    if (!discarded) return;
    this.#deps.notices.notify('info', 'Draft discarded.', {
      action: {
        kind: 'undo',
        label: 'Undo',
        run: () => {
          this.#restore(discarded);
        },
      },
    });
  }

  /** A discarded draft back in the composer (and in the saved drafts) as it was. */
  #restore(draft: SavedDraft): void {
    this.save();
    this.draft = draft;
    this.#opened();
  }

  /** Saves after a short pause in typing (a 1,000,000-character draft is not written per key). */
  saveSoon(): void {
    clearTimeout(this.#saveTimer);
    const delay = this.draft.content.length > LONG_DRAFT ? LONG_SAVE_DELAY_MS : SAVE_DELAY_MS;
    this.#saveTimer = setTimeout(() => {
      this.save();
    }, delay);
  }

  /** Writes the drafts of this user to storage now; false when the browser refused them. */
  save(): boolean {
    this.syncEditor?.();
    clearTimeout(this.#saveTimer);
    const account = this.#account;
    if (!account) return true;
    if (this.open) {
      this.draft.updatedAt = Date.now();
      this.drafts = draftsAfterSave(this.drafts, $state.snapshot(this.draft));
    }
    this.#share.saved(accountKey(account, 'drafts'), $state.snapshot(this.drafts));
    return this.#store();
  }

  /** This tab's drafts into its storage (and the device's, when the settings say so). */
  #store(): boolean {
    const account = this.#account;
    if (!account) return true;
    const key = accountKey(account, 'drafts');
    const { session, local, settings } = this.#deps;
    const composing = accountKey(account, 'composing');
    if (this.open) writeJson(session, composing, this.draft.id);
    else removeKey(session, composing);
    const kept = writeJson(session, key, this.drafts);
    if (settings.value.keepDraftsOnDevice) writeJson(local, key, this.drafts);
    else removeKey(local, key);
    return kept;
  }

  /** The recipients changed: asks the gateway, after a pause in typing, how it would seal. */
  planSealingSoon(): void {
    this.#planner.soon();
  }

  /** Asks the gateway now how an email to the draft's recipients would be sealed. */
  planSealing(): Promise<SealingVerdict | undefined> {
    return this.#planner.plan();
  }

  /**
   * Send pressed: checks, asks about names nothing on this computer knows (never seen in mail,
   * no key for them), then holds the email for the undo time.
   */
  send(): void {
    this.#sender.send();
  }

  /** The person confirmed names never seen: they become contacts, and the email goes. */
  confirmUnknown(): void {
    this.#sender.confirmUnknown();
  }

  /** The person chose to send a reply of a sealed email unsealed. */
  confirmUnsealed(): void {
    this.#sender.confirmUnsealed();
  }

  /** The email held for the undo time comes back into the composer. */
  undo(): void {
    this.#sender.undo();
  }

  /** Names seen in mail become contacts (kept per user on this device). */
  learn(names: Iterable<string>): void {
    this.#setContacts(addContacts(this.contacts, names));
  }

  /** The server said it has no such user: the name is no contact. */
  #forget(names: readonly string[]): void {
    this.#setContacts(this.contacts.filter((name) => !names.includes(name)));
  }

  #setContacts(next: string[]): void {
    if (next.length === this.contacts.length) return;
    this.contacts = next;
    if (this.#account) writeJson(this.#deps.local, accountKey(this.#account, 'contacts'), next);
  }

  readonly sortedDrafts = $derived(sortDrafts(this.drafts));

  #loadDrafts(account: Account | undefined = this.#account): SavedDraft[] {
    if (!account) return [];
    const key = accountKey(account, 'drafts');
    const inTab = parseDrafts(readJson(this.#deps.session, key));
    if (inTab.length > 0 || !this.#deps.settings.value.keepDraftsOnDevice) return inTab;
    return parseDrafts(readJson(this.#deps.local, key));
  }

  #load<T>(what: string, guard: (value: unknown) => value is T): T | undefined {
    if (!this.#account) return undefined;
    const value = readJson(this.#deps.local, accountKey(this.#account, what));
    return guard(value) ? value : undefined;
  }
}
