/**
 * Several pages (tabs, a reload) of one browser share its session, and each numbers its own
 * requests from 1: two tabs send id 1 at once. Each request gets an id of the session's own on
 * its way to the session child, and its answer goes back to the page that asked, under the
 * page's id. Answers for a page that has gone are dropped.
 */
import type { Reply } from '../messages.js';

/** One page's socket, as the session sees it. */
export interface Tab {
  send(reply: Reply): void;
}

interface Route {
  tab: Tab;
  /** The page's own id for the request. */
  id: number;
}

export class TabRoutes {
  readonly #routes = new Map<number, Route>();
  #next = 1;

  /** Requests of every page still waiting for their answers. */
  get size(): number {
    return this.#routes.size;
  }

  /** Whether this page has a request of this id waiting. */
  has(tab: Tab, id: number): boolean {
    for (const route of this.#routes.values())
      if (route.tab === tab && route.id === id) return true;
    return false;
  }

  /** The session's id for a page's request. */
  open(tab: Tab, id: number): number {
    const own = this.#next++;
    this.#routes.set(own, { tab, id });
    return own;
  }

  /** Whether a request (by the session's id) is still waiting for its answer. */
  waiting(own: number): boolean {
    return this.#routes.has(own);
  }

  /** The page that sent a waiting request. */
  tabOf(own: number): Tab | undefined {
    return this.#routes.get(own)?.tab;
  }

  /** Forgets a request; false when it had been answered or cancelled already. */
  close(own: number): boolean {
    return this.#routes.delete(own);
  }

  /**
   * Sends a reply carrying a session id to the page that asked, under the page's id. False
   * when the id is not waiting (answered already, or the page is gone).
   */
  answer(reply: Reply & { id: number | null }): boolean {
    if (reply.id === null) return false;
    const route = this.#routes.get(reply.id);
    if (!route) return false;
    this.#routes.delete(reply.id);
    route.tab.send({ ...reply, id: route.id } as Reply);
    return true;
  }

  /** The page went away: its answers are no longer routed. */
  dropTab(tab: Tab): void {
    for (const [own, route] of this.#routes) if (route.tab === tab) this.#routes.delete(own);
  }

  /** Every waiting request, then forgotten: the session ended before they were answered. */
  takeAll(): Route[] {
    const all = [...this.#routes.values()];
    this.#routes.clear();
    return all;
  }
}
