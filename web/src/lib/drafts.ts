import {
  emptyDraft,
  isDraftEmpty,
  isReplyKind,
  type ContentSource,
  type Draft,
} from './compose.js';
import { isStringArray } from './storage.js';

/** A draft kept in the list of saved drafts (browser storage, per user). */
export interface SavedDraft extends Draft {
  id: string;
  /** Milliseconds since the epoch of the last change. */
  updatedAt: number;
}

let lastId = 0;

export function newDraftId(now: number = Date.now()): string {
  lastId = Math.max(lastId + 1, now);
  return `d${lastId.toString(36)}`;
}

export function newSavedDraft(fields: Partial<Draft> = {}, now: number = Date.now()): SavedDraft {
  return { ...emptyDraft(), ...fields, id: newDraftId(now), updatedAt: now };
}

/** The list after saving one draft: it replaces its older copy and moves first; an empty one is dropped. */
export function draftsAfterSave(list: readonly SavedDraft[], draft: SavedDraft): SavedDraft[] {
  const others = list.filter((entry) => entry.id !== draft.id);
  return isDraftEmpty(draft) ? others : [draft, ...others];
}

export function draftsAfterRemove(list: readonly SavedDraft[], id: string): SavedDraft[] {
  return list.filter((entry) => entry.id !== id);
}

/** Newest first: the one changed last comes first. */
export function sortDrafts(list: readonly SavedDraft[]): SavedDraft[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Drafts read back from storage: anything not shaped as a draft is left out. */
export function parseDrafts(value: unknown): SavedDraft[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isSavedDraft);
}

function isSavedDraft(value: unknown): value is SavedDraft {
  if (typeof value !== 'object' || value === null) return false;
  const draft = value as Record<string, unknown>;
  return (
    typeof draft.id === 'string' &&
    typeof draft.updatedAt === 'number' &&
    isStringArray(draft.to) &&
    typeof draft.pending === 'string' &&
    typeof draft.title === 'string' &&
    typeof draft.content === 'string' &&
    isContentSource(draft.source) &&
    (draft.kind === undefined || isReplyKind(draft.kind))
  );
}

function isContentSource(value: unknown): value is ContentSource {
  if (typeof value !== 'object' || value === null) return false;
  const source = value as Record<string, unknown>;
  return (
    source.kind === 'typed' ||
    (source.kind === 'file' && typeof source.name === 'string' && typeof source.bytes === 'number')
  );
}
