/**
 * Tells when an inbox folder changes, for anyone in this process who asks: inotify through
 * fs.watch, one watcher per folder however many listen; where the system refuses a watch (a
 * limit reached, a file system without notifications), a look at the folder's modification
 * time every second instead.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';

const POLL_MS = 1000;

interface FolderWatch {
  listeners: Set<() => void>;
  stop: () => void;
}

const watches = new Map<string, FolderWatch>();

/** Only email files count: temporary files come and go within every delivery. */
const isEmailChange = (name: string | null): boolean =>
  name === null || (name.endsWith('.txt') && !name.startsWith('.'));

function start(folder: string, notify: () => void): () => void {
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(folder, { persistent: false }, (_event, name) => {
      if (isEmailChange(name)) notify();
    });
    watcher.on('error', () => undefined);
    return () => watcher?.close();
  } catch {
    let last = statSync(folder).mtimeMs;
    const timer = setInterval(() => {
      const now = statSync(folder, { throwIfNoEntry: false })?.mtimeMs ?? last;
      if (now !== last) notify();
      last = now;
    }, POLL_MS);
    timer.unref();
    return () => { clearInterval(timer); };
  }
}

export function watchFolder(folder: string, listener: () => void): () => void {
  let entry = watches.get(folder);
  if (!entry) {
    const listeners = new Set<() => void>();
    const stop = start(folder, () => {
      for (const each of listeners) each();
    });
    entry = { listeners, stop };
    watches.set(folder, entry);
  }
  const current = entry;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      current.stop();
      watches.delete(folder);
    }
  };
}
