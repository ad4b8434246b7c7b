import { DEFAULT_SETTINGS, parseSettings, type Settings } from './settings.js';
import { deviceKey, readJson, writeJson, type KeyValueStore } from './storage.js';

const KEY = deviceKey('settings');

/** The settings panel's choices, kept in local storage; the theme applies to the page at once. */
export class SettingsState {
  value = $state<Settings>({ ...DEFAULT_SETTINGS });
  readonly #store: KeyValueStore;

  constructor(store: KeyValueStore) {
    this.#store = store;
    this.value = parseSettings(readJson(store, KEY));
    applyTheme(this.value.theme);
  }

  update(change: Partial<Settings>): void {
    this.value = { ...this.value, ...change };
    writeJson(this.#store, KEY, this.value);
    applyTheme(this.value.theme);
  }
}

/** `data-theme` on <html> picks the light or dark colours; without it the system decides. */
function applyTheme(theme: Settings['theme']): void {
  if (typeof document === 'undefined') return;
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
