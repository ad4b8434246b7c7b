import type { EmailSecurity } from '../../../gateway/messages.js';
import type { GatewayClient } from './gateway-client.js';
import { refOf } from './inbox.js';
import type { InboxState } from './inbox-state.svelte.js';
import { parseQuery } from './search.js';

/** Typing pauses this long before the gateway is asked. */
const PAUSE_MS = 50;
/** While the index fills, a search shown is asked again at most this often. */
const REFRESH_MS = 1000;

/**
 * The content search: the words of the search box, asked of the session's index in the
 * gateway (which reads inside every email, sealed ones included, on this computer), and the
 * emails found handed to the inbox's search (InboxState.contentMatches). `from:`, `title:` and
 * dates stay the browser's own. While the index fills, the shown search is asked again.
 */
export class ContentSearch {
  readonly #client: GatewayClient;
  readonly #inbox: InboxState;
  readonly #active: () => boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The words last asked, and the newest request (older answers are dropped). */
  #asked = '';
  #generation = 0;
  #refreshedAt = 0;

  constructor(client: GatewayClient, inbox: InboxState, active: () => boolean) {
    this.#client = client;
    this.#inbox = inbox;
    this.#active = active;
  }

  /** The search box changed. */
  find(query: string): void {
    const words = parseQuery(query).words.join(' ');
    if (words === this.#asked && this.#inbox.contentMatches !== undefined) return;
    this.#asked = words;
    clearTimeout(this.#timer);
    this.#generation++;
    if (words === '') {
      this.#inbox.contentMatches = undefined;
      return;
    }
    this.#timer = setTimeout(() => void this.#ask(words), PAUSE_MS);
  }

  /**
   * The gateway indexed more: the progress line moves, rows take the marks found, and the
   * search shown is asked again.
   */
  progressed(
    indexed: number,
    total: number,
    marks: readonly { index: number; id?: string; security: EmailSecurity }[] = [],
  ): void {
    this.#inbox.indexProgress = { indexed, total };
    this.#inbox.setMarks(marks);
    const now = Date.now();
    if (this.#asked === '' || (indexed < total && now - this.#refreshedAt < REFRESH_MS)) return;
    this.#refreshedAt = now;
    void this.#ask(this.#asked);
  }

  async #ask(words: string): Promise<void> {
    if (!this.#active()) return;
    const generation = ++this.#generation;
    try {
      const reply = await this.#client.request({ type: 'search', query: words });
      if (generation !== this.#generation) return;
      this.#inbox.contentMatches = new Set(
        reply.emails.map((email) => refOf({ ...email, from: '', receivedAt: '', title: '' })),
      );
      this.#inbox.indexProgress = { indexed: reply.indexed, total: reply.total };
    } catch {
      // The search over what the browser has still works; the session's end is told elsewhere.
    }
  }
}
