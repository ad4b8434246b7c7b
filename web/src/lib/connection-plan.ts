/**
 * What the page does when its socket to the gateway closes, by cause:
 * - network: the gateway could not be reached; try again, waiting longer each time.
 * - staleCookie: the gateway is up but refuses this browser's old cookie (it restarted and made
 *   a new one): retrying cannot help; the person must open the new link it printed.
 * - refused: the gateway closed the socket on purpose (too many pages, for one); it is not
 *   retried by itself, so a page cannot hammer it: the person reconnects when ready.
 */
import type { CloseCause } from './gateway-client.js';

export type { CloseCause };

export type GatewayState = 'connecting' | 'open' | 'retrying' | 'staleCookie' | 'refused';

export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000] as const;

export interface ClosePlan {
  state: GatewayState;
  /** When to try again (only while 'retrying'). */
  retryInMs?: number;
}

export function planAfterClose(cause: CloseCause, attempt: number): ClosePlan {
  switch (cause) {
    case 'staleCookie':
      return { state: 'staleCookie' };
    case 'refused':
      return { state: 'refused' };
    case 'network': {
      const delays = RECONNECT_DELAYS_MS;
      return {
        state: 'retrying',
        retryInMs: delays[Math.min(attempt, delays.length - 1)] ?? 8000,
      };
    }
  }
}

/**
 * The gateway's new sign-in link, pasted on this page, if it is one: same origin, with a token.
 * Opened in this same tab, it keeps the tab's session storage (and so the drafts).
 */
export function newGatewayLink(text: string, origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.origin !== origin || !url.searchParams.get('token')) return undefined;
  return url.href;
}
