import type { SealingVerdict } from './sealing.js';
import { finalRecipients, isDraftEmpty } from './compose.js';
import { unknownRecipients } from './contacts.js';
import { sendOutcome, type SendOutcome, type SentReply } from './delivery.js';
import { draftsAfterRemove, draftsAfterSave, newSavedDraft, type SavedDraft } from './drafts.js';
import type { ComposerDeps } from './composer-state.svelte.js';
import type { NoticeAction } from './notices.svelte.js';
import {
  isConnectionLost,
  isServerDown,
  isUnknownOutcome,
  newSendId,
  NOT_SENT_SERVER_DOWN,
  resendWhenBackText,
} from './send-id.js';
import { accountKey, removeKey, writeJson, type Account } from './storage.js';
import { PausableTimer } from './timers.js';
import type { UncertainSend } from './uncertain-send.js';

export interface Sending {
  bytes: number;
  /** 0 to 1: the share handed to the network; 1 while the server stores it. */
  progress: number;
}

/** The composer's state a send reads and changes (ComposerState's, shown by the components). */
export interface SendHost {
  draft: SavedDraft;
  drafts: SavedDraft[];
  open: boolean;
  error: string | undefined;
  held: SavedDraft | undefined;
  sending: Sending | undefined;
  uncertain: UncertainSend | undefined;
  unconfirmed: string[] | undefined;
  unsealedReply: SealingVerdict | undefined;
  readonly signedIn: boolean;
  readonly sendIds: boolean;
  readonly blocker: string | undefined;
  readonly knownNames: string[];
  readonly syncEditor: (() => void) | undefined;
  save(): boolean;
  learn(names: Iterable<string>): void;
  planSealing(): Promise<SealingVerdict | undefined>;
}

/** What the composer keeps to itself and lends a send. */
export interface SendLinks {
  account: () => Account | undefined;
  /** The server said it has no such user: the name is no contact. */
  forget: (names: readonly string[]) => void;
}

/**
 * Sending an email (ComposerState's): the checks when Send is pressed (unknown names, sealing),
 * the few seconds to undo, the send itself with its progress, what it reports, and an email
 * whose answer was lost, sent again with its id.
 */
export class ComposerSender {
  readonly #host: SendHost;
  readonly #deps: ComposerDeps;
  readonly #links: SendLinks;
  #holdTimer: PausableTimer | undefined;
  #holdNotice: number | undefined;
  /** Between Send and the answer of the sealing plan: a second press does nothing. */
  #deciding = false;

  constructor(host: SendHost, deps: ComposerDeps, links: SendLinks) {
    this.#host = host;
    this.#deps = deps;
    this.#links = links;
  }

  /**
   * Send pressed: checks, asks about names nothing on this computer knows (never seen in mail,
   * no key for them), then holds the email for the undo time.
   */
  send(): void {
    this.#host.syncEditor?.();
    if (this.#host.sending || this.#host.held || this.#host.blocker !== undefined || this.#deciding)
      return;
    this.#host.draft.to = finalRecipients(this.#host.draft);
    this.#host.draft.pending = '';
    this.#deciding = true;
    void this.#host
      .planSealing()
      .then(() => {
        const unknown = unknownRecipients(this.#host.draft.to, this.#host.knownNames);
        if (unknown.length > 0) {
          this.#host.unconfirmed = unknown;
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
    if (!this.#host.unconfirmed) return;
    this.#host.learn(this.#host.unconfirmed);
    this.#host.unconfirmed = undefined;
    void this.#checkSealing();
  }

  /**
   * Nothing goes out unsealed by surprise: the composer has said whether it will be sealed; a
   * reply or forward of a sealed email that cannot be sealed waits for an explicit choice.
   */
  async #checkSealing(): Promise<void> {
    const verdict = await this.#host.planSealing();
    if (verdict === undefined || verdict.willSeal || verdict.changed.length > 0) {
      this.#go(false);
      return;
    }
    if (this.#host.draft.sealedOrigin) {
      this.#host.unsealedReply = verdict;
      return;
    }
    this.#go(true);
  }

  /** The person chose to send a reply of a sealed email unsealed. */
  confirmUnsealed(): void {
    if (!this.#host.unsealedReply) return;
    this.#host.unsealedReply = undefined;
    this.#go(true);
  }

  #go(unsealed: boolean): void {
    this.#host.error = undefined;
    const draft = { ...$state.snapshot(this.#host.draft), sendUnsealed: unsealed || undefined };
    this.#host.save();
    const seconds = this.#deps.settings.value.undoSeconds;
    if (seconds === 0) {
      void this.#transmit(draft);
      return;
    }
    this.#host.held = draft;
    this.#host.open = false;
    this.#host.draft = newSavedDraft();
    this.#host.save();
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
    const held = this.#host.held;
    if (!held) return;
    this.#holdTimer?.cancel();
    this.#dismissHoldNotice();
    this.#host.held = undefined;
    if (this.#host.open && !isDraftEmpty(this.#host.draft)) this.#host.save();
    this.#host.draft = held;
    this.#host.open = true;
    this.#host.save();
    this.#deps.notices.notify('info', 'Sending undone. The email is back in the composer.');
  }

  #releaseHeld(): void {
    const held = this.#host.held;
    this.#dismissHoldNotice();
    if (!held) return;
    this.#host.held = undefined;
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
    this.#host.sending = { bytes, progress: 0 };
    const reply = client.request({
      type: 'send',
      to,
      title,
      content,
      sendId,
      ...(draft.sendUnsealed ? { unsealed: true } : {}),
    });
    const watch = (): void => {
      if (!this.#host.sending) return;
      const buffered = client.bufferedAmount;
      this.#host.sending = {
        bytes,
        progress: bytes === 0 ? 1 : Math.min(1, Math.max(0, 1 - buffered / bytes)),
      };
      if (buffered > 0) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    let stillSignedIn = false;
    try {
      const sent = await reply;
      const outcome = sendOutcome(sent, title, this.#links.account()?.username);
      this.#deps.onSent(sent, outcome);
      if (this.#host.uncertain?.sendId === sendId) this.#setUncertain(undefined);
      // Refused as a whole, it reached no one: the email comes back as after a failed send.
      if (outcome.refusal !== undefined) this.#giveBack(draft, outcome.summary);
      else this.#sent(draft, sent, outcome);
    } catch (error) {
      if (isUnknownOutcome(error)) {
        // Set before the failure ends the session, so the page keeps it in view.
        this.#unknownOutcome(draft, sendId);
        this.#deps.onFailure(error);
        stillSignedIn = this.#host.signedIn;
        // The session reconnects, and sends it again by itself once the server is back.
        if (stillSignedIn && isConnectionLost(error)) {
          this.#resendNotice = this.#deps.notices.notify('error', resendWhenBackText(draft.title));
          stillSignedIn = false;
        }
      } else if (isServerDown(error)) this.#giveBack(draft, NOT_SENT_SERVER_DOWN);
      else this.#giveBack(draft, this.#deps.onFailure(error));
    } finally {
      this.#host.sending = undefined;
    }
    // No answer, and the session did not end (a timeout): said now, not at the next sign-in.
    if (stillSignedIn) this.sendUncertain(false);
  }

  /** The answer was lost: the email is neither sent nor unsent, and leaves the composer. */
  #unknownOutcome(draft: SavedDraft, sendId: string): void {
    this.#setUncertain({ draft, sendId });
    this.#host.drafts = draftsAfterRemove(this.#host.drafts, draft.id);
    if (this.#host.draft.id === draft.id) {
      this.#host.draft = newSavedDraft();
      this.#host.open = false;
    }
    this.#host.save();
  }

  #sent(draft: SavedDraft, sent: SentReply, outcome: SendOutcome): void {
    this.#host.drafts = draftsAfterRemove(this.#host.drafts, draft.id);
    if (this.#host.draft.id === draft.id) {
      this.#host.draft = newSavedDraft();
      this.#host.open = false;
    }
    this.#host.save();
    const unknown = outcome.recipients
      ?.filter((recipient) => recipient.status === 'unknownUser')
      .map((recipient) => recipient.name);
    this.#host.learn(sent.recipients.filter((name) => !unknown?.includes(name)));
    if (unknown) this.#links.forget(unknown);
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
    if (this.#host.open && this.#host.draft.id !== draft.id && !isDraftEmpty(this.#host.draft)) {
      this.#host.drafts = draftsAfterSave(this.#host.drafts, draft);
      this.#host.save();
      this.#deps.notices.notify('error', `Not sent: ${problem} The email is in Drafts.`);
    } else {
      this.#host.draft = draft;
      this.#host.open = true;
      this.#host.error = problem;
      this.#host.save();
    }
  }

  /**
   * The email whose answer was lost goes again with its id: the server stores it once and
   * answers with the first delivery's report. A session without send ids cannot tell whether
   * it was delivered: the person decides, told so.
   */
  sendUncertain(automatic = true): void {
    const uncertain = this.#host.uncertain;
    if (!uncertain || this.#host.sending) return;
    const title = uncertain.draft.title === '' ? 'Your email' : `“${uncertain.draft.title}”`;
    if (this.#host.sendIds && automatic) {
      this.#deps.notices.notify(
        'info',
        `${title} may have been delivered before the connection was lost: it is sent again with the same id, and the server keeps a single copy.`,
      );
      void this.#transmit(uncertain.draft, uncertain.sendId);
      return;
    }
    if (this.#host.sendIds) {
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
              this.sendUncertain();
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
    if (this.#host.signedIn) this.sendUncertain();
  }

  /** The notice that a send goes again once the mail server is back. */
  #resendNotice: number | undefined;

  /** The person takes the uncertain email back as a draft, knowing it may have been delivered. */
  #toDrafts(uncertain: UncertainSend): void {
    if (this.#host.uncertain?.sendId !== uncertain.sendId) return;
    this.#setUncertain(undefined);
    this.#host.drafts = draftsAfterSave(this.#host.drafts, {
      ...uncertain.draft,
      updatedAt: Date.now(),
    });
    this.#host.save();
    this.#deps.notices.notify(
      'info',
      'It is in Drafts. It may have been delivered already: ask its recipients before sending it again.',
    );
  }

  #setUncertain(uncertain: UncertainSend | undefined): void {
    this.#host.uncertain = uncertain;
    const account = this.#links.account();
    if (!account) return;
    const key = accountKey(account, 'uncertain');
    if (uncertain) writeJson(this.#deps.session, key, uncertain);
    else removeKey(this.#deps.session, key);
  }
}
