/**
 * `admin kick NAME`: every session of a user ended now. Each session process serving one is
 * told which user (a file in HOME/.run/) and signalled (SIGUSR2); it closes that user's
 * connections, and the command waits until their sessions are gone from `admin who`.
 */
import { loggedInSessions, requestKick } from '../mail-server/run-files.js';

const WAIT_MS = 10_000;
const POLL_MS = 50;

/** The number of sessions ended, or undefined when some were still there after the wait. */
export async function kickUser(home: string, name: string): Promise<number | undefined> {
  const sessions = loggedInSessions(home).filter((session) => session.user === name);
  for (const pid of new Set(sessions.map((session) => session.pid))) {
    requestKick(home, pid, name);
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // Gone since it was listed: its sessions are over.
    }
  }
  const deadline = Date.now() + WAIT_MS;
  while (loggedInSessions(home).some((session) => session.user === name)) {
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return sessions.length;
}
