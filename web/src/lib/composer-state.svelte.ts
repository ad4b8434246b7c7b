import type { RecipientSealing } from '../../../gateway/messages.js';
import { finalRecipients, isDraftEmpty, sendBlocker, type Draft } from './compose.js';
import { recipientProblem } from './recipients.js';
import { sealingVerdict, type SealingVerdict } from './sealing.js';
import { addContacts, unknownRecipients } from './contacts.js';
import { sendOutcome, type SendOutcome, type SentReply } from './delivery.js';
import {
  draftsAfterRemove,
  draftsAfterSave,
  newSavedDraft,
  parseDrafts,
  sortDrafts,
  type SavedDraft,
} from './drafts.js';
import type { GatewayClient } from './gateway-client.js';
import type { NoticeAction, Notices } from './notices.svelte.js';
import { DraftShare, mergeDrafts } from './draft-share.js';
import {
  isConnectionLost,
  isServerDown,
  isUnknownOutcome,
  newSendId,
  NOT_SENT_SERVER_DOWN,
  resendWhenBackText,
} from './send-id.js';
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
import { PausableTimer } from './timers.js';

export interface Sending {
  bytes: number;
  /** 0 to 1: the share handed to the network; 1 while the server stores it. */
  progress: number;
}

/**
 * An email whose send lost its answer (the session or the gateway went away): it may have been
 * delivered. It is sent again with the same id, which a server of session version 5 stores
 * once, when a session that carries send ids is back; it is never handed back as unsent.
 */
export interface UncertainSend {
  draft: SavedDraft;
  sendId: string;
}

const SEND_ID = /^[A-Za-z0-9_-]{22}$/;

function parseUncertain(value: unknown): UncertainSend | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { draft, sendId } = value as Record<string, unknown>;
  const [parsed] = parseDrafts([draft]);
  return parsed && typeof sendId === 'string' && SEND_ID.test(sendId)
    ? { draft: parsed, sendId }
    : undefined;
}

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
  #holdTimer: PausableTimer | undefined;
  #holdNotice: number | undefined;
  #planTimer: ReturnType<typeof setTimeout> | undefined;
  /** Between Send and the answer of the sealing plan: a second press does nothing. */
  #deciding = false;
  /** Which recipients the plan on screen is for, so that a late answer never shows for others. */
  #planFor = '';

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

  constructor(deps: ComposerDeps) {
    this.#deps = deps;
  }

  /**
   * A session began: this user's drafts and contacts; the draft being written carries over.
   * An email whose send lost its answer is sent again with the same id.
   */
  attach(account: Account, deliveryReports: boolean, serverKeys = false, sendIds = false): void {
    this.serverKeys = serverKeys;
    this.sealingPlan = undefined;
    this.#planFor = '';
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
    this.#sendUncertain();
  }

  /**
   * The email whose answer was lost goes again with its id: the server stores it once and
   * answers with the first delivery's report. A session without send ids cannot tell whether
   * it was delivered: the person decides, told so.
   */
  #sendUncertain(automatic = true): void {
    const uncertain = this.uncertain;
    if (!uncertain || this.sending) return;
    const title = uncertain.draft.title === '' ? 'Your email' : `“${uncertain.draft.title}”`;
    if (this.sendIds && automatic) {
      this.#deps.notices.notify(
        'info',
        `${title} may have been delivered before the connection was lost: it is sent again with the same id, and the server keeps a single copy.`,
      );
      void this.#transmit(uncertain.draft, uncertain.sendId);
      return;
    }
    if (this.sendIds) {
      // The session is still there but did not answer: sending again waits on it, so the
      // person chooses when.
      this.#deps.notices.notify(
        'error',
        `${title} may have been delivered: the gateway did not answer in time. Sending it again uses the same id, and the server keeps a single copy.`,
        {
          sticky: true,
          action: {
            kind: 'open',
            label: 'Send again',
            run: () => {
              this.#sendUncertain();
            },
          },
        },
      );
      return;
    }
    this.#deps.notices.notify(
      'error',
      `${title} may have been delivered. To send it again without a second copy, sign in with the enhanced protocol.`,
      {
        sticky: true,
        action: {
          kind: 'open',
          label: 'Move to Drafts',
          run: () => {
            this.#toDrafts(uncertain);
          },
        },
      },
    );
  }

  /** The mail server is back after an outage: an email whose answer was lost goes again. */
  retryUncertain(): void {
    if (this.#resendNotice !== undefined) this.#deps.notices.dismiss(this.#resendNotice);
    this.#resendNotice = undefined;
    if (this.signedIn) this.#sendUncertain();
  }

  /** The notice that a send goes again once the mail server is back. */
  #resendNotice: number | undefined;

  /** The person takes the uncertain email back as a draft, knowing it may have been delivered. */
  #toDrafts(uncertain: UncertainSend): void {
    if (this.uncertain?.sendId !== uncertain.sendId) return;
    this.#setUncertain(undefined);
    this.drafts = draftsAfterSave(this.drafts, { ...uncertain.draft, updatedAt: Date.now() });
    this.save();
    this.#deps.notices.notify(
      'info',
      'It is in Drafts. It may have been delivered already: ask its recipients before sending it again.',
    );
  }

  #setUncertain(uncertain: UncertainSend | undefined): void {
    this.uncertain = uncertain;
    const account = this.#account;
    if (!account) return;
    const key = accountKey(account, 'uncertain');
    if (uncertain) writeJson(this.#deps.session, key, uncertain);
    else removeKey(this.#deps.session, key);
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
    clearTimeout(this.#planTimer);
    this.#planTimer = setTimeout(() => {
      void this.planSealing();
    }, 300);
  }

  /** Asks the gateway now how an email to the draft's recipients would be sealed. */
  async planSealing(): Promise<SealingVerdict | undefined> {
    clearTimeout(this.#planTimer);
    const to = finalRecipients(this.draft).filter((name) => recipientProblem(name) === undefined);
    const key = to.join(';');
    if (!this.signedIn || to.length === 0) {
      this.sealingPlan = undefined;
      this.#planFor = '';
      return undefined;
    }
    if (key === this.#planFor && this.sealingPlan !== undefined) return this.sealing;
    this.#planFor = key;
    try {
      const reply = await this.#deps.client.request({ type: 'sealingPlan', to });
      if (this.#planFor === key) this.sealingPlan = reply.recipients;
    } catch {
      // Said again at the send, which the gateway refuses rather than send it unsealed.
      if (this.#planFor === key) this.sealingPlan = undefined;
    }
    return this.#planFor === key ? this.sealing : undefined;
  }

  /**
   * Send pressed: checks, asks about names nothing on this computer knows (never seen in mail,
   * no key for them), then holds the email for the undo time.
   */
  send(): void {
    this.syncEditor?.();
    if (this.sending || this.held || this.blocker !== undefined || this.#deciding) return;
    this.draft.to = finalRecipients(this.draft);
    this.draft.pending = '';
    this.#deciding = true;
    void this.planSealing()
      .then(() => {
        const unknown = unknownRecipients(this.draft.to, this.knownNames);
        if (unknown.length > 0) {
          this.unconfirmed = unknown;
          return;
        }
        return this.#checkSealing();
      })
      .finally(() => {
        this.#deciding = false;
      });
  }

  /** The person confirmed names never seen: they become contacts, and the email goes. */
  confirmUnknown(): void {
    if (!this.unconfirmed) return;
    this.learn(this.unconfirmed);
    this.unconfirmed = undefined;
    void this.#checkSealing();
  }

  /**
   * Nothing goes out unsealed by surprise: the composer has said whether it will be sealed; a
   * reply or forward of a sealed email that cannot be sealed waits for an explicit choice.
   */
  async #checkSealing(): Promise<void> {
    const verdict = await this.planSealing();
    if (verdict === undefined || verdict.willSeal || verdict.changed.length > 0) {
      this.#go(false);
      return;
    }
    if (this.draft.sealedOrigin) {
      this.unsealedReply = verdict;
      return;
    }
    this.#go(true);
  }

  /** The person chose to send a reply of a sealed email unsealed. */
  confirmUnsealed(): void {
    if (!this.unsealedReply) return;
    this.unsealedReply = undefined;
    this.#go(true);
  }

  #go(unsealed: boolean): void {
    this.error = undefined;
    const draft = { ...$state.snapshot(this.draft), sendUnsealed: unsealed || undefined };
    this.save();
    const seconds = this.#deps.settings.value.undoSeconds;
    if (seconds === 0) {
      void this.#transmit(draft);
      return;
    }
    this.held = draft;
    this.open = false;
    this.draft = newSavedDraft();
    this.save();
    this.#holdNotice = this.#deps.notices.notify(
      'info',
      `Sending to ${draft.to.join(', ')} in ${seconds} s.`,
      {
        sticky: true,
        action: {
          kind: 'undo',
          label: 'Undo',
          run: () => {
            this.undo();
          },
        },
      },
    );
    this.#holdTimer = new PausableTimer(seconds * 1000, () => {
      this.#releaseHeld();
    });
  }

  undo(): void {
    const held = this.held;
    if (!held) return;
    this.#holdTimer?.cancel();
    this.#dismissHoldNotice();
    this.held = undefined;
    if (this.open && !isDraftEmpty(this.draft)) this.save();
    this.draft = held;
    this.open = true;
    this.save();
    this.#deps.notices.notify('info', 'Sending undone. The email is back in the composer.');
  }

  #releaseHeld(): void {
    const held = this.held;
    this.#dismissHoldNotice();
    if (!held) return;
    this.held = undefined;
    void this.#transmit(held);
  }

  #dismissHoldNotice(): void {
    if (this.#holdNotice !== undefined) this.#deps.notices.dismiss(this.#holdNotice);
    this.#holdNotice = undefined;
  }

  /** Sends; `sendId` is the email's for every try (a fresh one for its first). */
  async #transmit(draft: SavedDraft, sendId: string = newSendId()): Promise<void> {
    const { client } = this.#deps;
    const { to, title, content } = draft;
    const bytes = new TextEncoder().encode(content).byteLength;
    this.sending = { bytes, progress: 0 };
    const reply = client.request({
      type: 'send',
      to,
      title,
      content,
      sendId,
      ...(draft.sendUnsealed ? { unsealed: true } : {}),
    });
    const watch = (): void => {
      if (!this.sending) return;
      const buffered = client.bufferedAmount;
      this.sending = {
        bytes,
        progress: bytes === 0 ? 1 : Math.min(1, Math.max(0, 1 - buffered / bytes)),
      };
      if (buffered > 0) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    let stillSignedIn = false;
    try {
      const sent = await reply;
      const outcome = sendOutcome(sent, title, this.#account?.username);
      this.#deps.onSent(sent, outcome);
      if (this.uncertain?.sendId === sendId) this.#setUncertain(undefined);
      // Refused as a whole, it reached no one: the email comes back as after a failed send.
      if (outcome.refusal !== undefined) this.#giveBack(draft, outcome.summary);
      else this.#sent(draft, sent, outcome);
    } catch (error) {
      if (isUnknownOutcome(error)) {
        // Set before the failure ends the session, so the page keeps it in view.
        this.#unknownOutcome(draft, sendId);
        this.#deps.onFailure(error);
        stillSignedIn = this.signedIn;
        // The session reconnects, and sends it again by itself once the server is back.
        if (stillSignedIn && isConnectionLost(error)) {
          this.#resendNotice = this.#deps.notices.notify('error', resendWhenBackText(draft.title));
          stillSignedIn = false;
        }
      } else if (isServerDown(error)) this.#giveBack(draft, NOT_SENT_SERVER_DOWN);
      else this.#giveBack(draft, this.#deps.onFailure(error));
    } finally {
      this.sending = undefined;
    }
    // No answer, and the session did not end (a timeout): said now, not at the next sign-in.
    if (stillSignedIn) this.#sendUncertain(false);
  }

  /** The answer was lost: the email is neither sent nor unsent, and leaves the composer. */
  #unknownOutcome(draft: SavedDraft, sendId: string): void {
    this.#setUncertain({ draft, sendId });
    this.drafts = draftsAfterRemove(this.drafts, draft.id);
    if (this.draft.id === draft.id) {
      this.draft = newSavedDraft();
      this.open = false;
    }
    this.save();
  }

  #sent(draft: SavedDraft, sent: SentReply, outcome: SendOutcome): void {
    this.drafts = draftsAfterRemove(this.drafts, draft.id);
    if (this.draft.id === draft.id) {
      this.draft = newSavedDraft();
      this.open = false;
    }
    this.save();
    const unknown = outcome.recipients
      ?.filter((recipient) => recipient.status === 'unknownUser')
      .map((recipient) => recipient.name);
    this.learn(sent.recipients.filter((name) => !unknown?.includes(name)));
    if (unknown) this.#forget(unknown);
    const details: NoticeAction = {
      kind: 'open',
      label: 'Details',
      run: () => {
        this.#deps.showOutcome(outcome);
      },
    };
    this.#deps.notices.notify(
      outcome.tone,
      outcome.summary,
      outcome.hasDetails ? { action: details } : {},
    );
  }

  /** A send that failed: the email is back in the composer, or in Drafts if another is open. */
  #giveBack(draft: SavedDraft, problem: string): void {
    if (this.open && this.draft.id !== draft.id && !isDraftEmpty(this.draft)) {
      this.drafts = draftsAfterSave(this.drafts, draft);
      this.save();
      this.#deps.notices.notify('error', `Not sent: ${problem} The email is in Drafts.`);
    } else {
      this.draft = draft;
      this.open = true;
      this.error = problem;
      this.save();
    }
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
