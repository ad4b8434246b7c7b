import type { EmailView } from '../../../gateway/messages.js';

export interface OpenEmail {
  /** The email's ref in the inbox (refOf). */
  ref: string;
  email?: EmailView;
  error?: string;
}

/** The email in the reading pane, and how it is shown. */
export class ReaderState {
  open = $state.raw<OpenEmail | undefined>();
  /** The text exactly as the server stored it, instead of the message. */
  showOriginal = $state(false);
  /** Focus the email once it is shown (it was opened from the keyboard). */
  focusWhenShown = $state(false);

  /** Starts showing an email; each email opens as the message, not the original. */
  begin(ref: string, focus: boolean): void {
    this.open = { ref };
    this.showOriginal = false;
    this.focusWhenShown = focus;
  }

  isOpen(ref: string): boolean {
    return this.open?.ref === ref;
  }

  close(): void {
    this.open = undefined;
    this.showOriginal = false;
  }
}
