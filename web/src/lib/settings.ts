/** Choices kept on this device (not per user): look, undo time, notifications, drafts. */
export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  theme: Theme;
  /** Seconds a sent email is held in the browser before it goes; 0 sends at once. */
  undoSeconds: number;
  /** Tell of new mail with a desktop notification while the tab is in the background. */
  desktopNotifications: boolean;
  /** Also keep saved drafts in local storage, so they outlive the tab. */
  keepDraftsOnDevice: boolean;
}

export const UNDO_CHOICES = [0, 5, 10, 20, 30] as const;
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  undoSeconds: 5,
  desktopNotifications: false,
  keepDraftsOnDevice: false,
};

export function parseSettings(value: unknown): Settings {
  if (typeof value !== 'object' || value === null) return { ...DEFAULT_SETTINGS };
  const stored = value as Record<string, unknown>;
  const undo = stored.undoSeconds;
  return {
    theme: THEMES.find((theme) => theme === stored.theme) ?? DEFAULT_SETTINGS.theme,
    undoSeconds:
      typeof undo === 'number' && Number.isInteger(undo) && undo >= 0 && undo <= 60
        ? undo
        : DEFAULT_SETTINGS.undoSeconds,
    desktopNotifications: stored.desktopNotifications === true,
    keepDraftsOnDevice: stored.keepDraftsOnDevice === true,
  };
}
