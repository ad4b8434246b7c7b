import { parseDrafts, type SavedDraft } from './drafts.js';

/**
 * An email whose send lost its answer (the session or the gateway went away): it may have been
 * delivered. It is sent again with the same id, which a server of session version 5 stores
 * once, when a session that carries send ids is back; it is never handed back as unsent.
 */
export interface UncertainSend {
  draft: SavedDraft;
  sendId: string;
}

/** A send id as newSendId makes it (send-id.ts); anything else in storage is not ours. */
const SEND_ID = /^[A-Za-z0-9_-]{22}$/;

export function parseUncertain(value: unknown): UncertainSend | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { draft, sendId } = value as Record<string, unknown>;
  const [parsed] = parseDrafts([draft]);
  return parsed && typeof sendId === 'string' && SEND_ID.test(sendId)
    ? { draft: parsed, sendId }
    : undefined;
}
