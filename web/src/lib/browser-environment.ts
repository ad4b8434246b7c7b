import { gatewaySocketUrl } from './gateway-client.js';
import { MemoryStore, type KeyValueStore } from './storage.js';

/** What the app takes from the browser: the socket, the two storages, how the page was loaded. */
export interface AppEnvironment {
  connect: () => WebSocket;
  local: KeyValueStore;
  session: KeyValueStore;
  /** The Navigation Timing type of this page load ('reload', 'navigate', …). */
  navigation: string;
  /** Opens a page of this origin in this tab (its session storage stays). */
  navigate: (url: string) => void;
}

export function browserEnvironment(): AppEnvironment {
  const navigation = performance.getEntriesByType('navigation')[0];
  return {
    connect: () => new WebSocket(gatewaySocketUrl(location)),
    local: storageOr(() => localStorage),
    session: storageOr(() => sessionStorage),
    navigation: navigation instanceof PerformanceNavigationTiming ? navigation.type : 'navigate',
    navigate: (url) => {
      location.assign(url);
    },
  };
}

/** The browser's storage, or memory when it is disabled (the page still works, forgetting on reload). */
function storageOr(get: () => Storage): KeyValueStore {
  try {
    const store = get();
    store.getItem('sealed-mail:probe');
    return store;
  } catch {
    return new MemoryStore();
  }
}
