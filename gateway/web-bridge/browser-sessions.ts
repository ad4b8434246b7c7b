/**
 * Each browser (a cookie's browser id, browser-cookies.ts) has at most one session, whatever
 * number of pages it has open: a reload or a second tab joins the one there is. A session whose
 * last page has closed is kept for the grace period (`--detached-grace`), so that a reload, or
 * a tab closed and opened again, finds it signed in; then it is ended. Sign-out ends it at once.
 * A page still proves itself as any page does (cookie, Origin, page secret) before it is here.
 */
import type { BrowserSession } from './browser-session.js';
import type { Tab } from './tab-routes.js';

interface Held {
  session: BrowserSession;
  graceTimer?: NodeJS.Timeout;
}

export class BrowserSessions {
  readonly #make: () => BrowserSession;
  readonly #graceMs: number;
  readonly #byBrowser = new Map<string, Held>();

  constructor(make: () => BrowserSession, graceMs: number) {
    this.#make = make;
    this.#graceMs = graceMs;
  }

  /** The browser's session, joined by one more page. */
  attach(browserId: string, tab: Tab): BrowserSession {
    let held = this.#byBrowser.get(browserId);
    if (held?.session.closed === true) {
      clearTimeout(held.graceTimer);
      held = undefined;
    }
    if (!held) {
      held = { session: this.#make() };
      this.#byBrowser.set(browserId, held);
    }
    clearTimeout(held.graceTimer);
    held.graceTimer = undefined;
    held.session.attach(tab);
    return held.session;
  }

  /** A page closed; the browser's last one starts the grace period (or ends a signed-out session). */
  detach(browserId: string, tab: Tab): void {
    const held = this.#byBrowser.get(browserId);
    if (!held) return;
    held.session.detachTab(tab);
    if (held.session.tabCount > 0) return;
    if (!held.session.holdsSession || this.#graceMs <= 0) {
      this.#end(browserId, held);
      return;
    }
    held.graceTimer = setTimeout(() => {
      if (held.session.tabCount === 0) this.#end(browserId, held);
    }, this.#graceMs);
  }

  /** Browsers with a session kept (for tests and the log). */
  get size(): number {
    return this.#byBrowser.size;
  }

  closeAll(): void {
    for (const [browserId, held] of this.#byBrowser) this.#end(browserId, held);
  }

  #end(browserId: string, held: Held): void {
    clearTimeout(held.graceTimer);
    held.session.close();
    if (this.#byBrowser.get(browserId) === held) this.#byBrowser.delete(browserId);
  }
}
