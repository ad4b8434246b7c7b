import { isChannelKind, type ChannelKind } from '../../../protocol/channel-kinds.js';
import { deviceKey, readJson, removeKey, type KeyValueStore } from './storage.js';

/**
 * A note in the tab's session storage while it is signed in. A page that loads joins its
 * browser's session when the gateway still keeps it (a reload, a tab reopened within the grace
 * period); a note found when no session is there to join means it ended meanwhile (the grace
 * period passed, or the gateway restarted): the person is told so, and the sign-in form is
 * filled in again.
 */
export interface SessionMarker {
  username: string;
  /** The server field as the person filled it (empty for the gateway's default). */
  typedServer: string;
  protocol: ChannelKind;
  /** The server the gateway signed in to (host:port), which names the user's stored drafts. */
  server: string;
  /** Set when the page left on purpose for the new link of a restarted gateway. */
  endedBy?: 'gatewayRestart';
}

/** Where the marker is kept, in the tab's session storage. */
export const MARKER_KEY = deviceKey('signed-in');

/** The marker a page found on loading, removed: it is read once. */
export function takeMarker(store: KeyValueStore): SessionMarker | undefined {
  const marker = parseMarker(readJson(store, MARKER_KEY));
  if (marker) removeKey(store, MARKER_KEY);
  return marker;
}

export function parseMarker(value: unknown): SessionMarker | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const marker = value as Record<string, unknown>;
  const { username, typedServer, protocol, server, endedBy } = marker;
  if (
    typeof username !== 'string' ||
    typeof typedServer !== 'string' ||
    typeof server !== 'string' ||
    !isChannelKind(protocol)
  )
    return undefined;
  return {
    username,
    typedServer,
    protocol,
    server,
    ...(endedBy === 'gatewayRestart' ? { endedBy } : {}),
  };
}

/** Why the session is gone, after the page came back; `navigation` is the Navigation Timing type. */
export function endedByPageLoad(marker: SessionMarker, navigation: string): string {
  if (marker.endedBy === 'gatewayRestart')
    return `The gateway was restarted, which ended your session as ${marker.username}. Sign in again to go on.`;
  const how = navigation === 'reload' ? 'reloaded' : 'closed or left';
  return `Your session as ${marker.username} has ended while the page was ${how}. Sign in again to go on.`;
}
