/**
 * What a test can wait on instead of a server's log text or a pause: the sessions a server
 * lists for `sealed-mail-admin who` (HOME/.run/sessions/, written at login before the first
 * menu is sent, removed when the session ends) and the gauges and counters of its admin port
 * (/metrics, Prometheus text). Each wait polls that state against a deadline and says, when it
 * runs out, what it waited for and what it saw last.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { loggedInSessions, type SessionRecord } from '../../mail-server/run-files.js';
import { parsePrometheusText, sampleValue, type Family } from './prometheus-text.js';
import type { RunningServer } from './server.js';

const POLL_MS = 20;

/** Resolves with the first value `probe` gives that is not undefined; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `; last: ${last.message}` : ''}`,
      );
    await pause(POLL_MS);
  }
}

/** The logged-in session of the client whose socket has local port `localPort` (`admin who`). */
export function sessionOf(
  home: string,
  localPort: number,
  timeoutMs = 10_000,
): Promise<SessionRecord> {
  const peer = `127.0.0.1:${localPort}`;
  return waitFor(
    `the session of ${peer} in ${home}/.run/sessions`,
    () => loggedInSessions(home).find((session) => session.peer === peer),
    timeoutMs,
  );
}

/** The sessions a server's home lists now, as `admin who` prints them. */
export const sessionsNow = (home: string): SessionRecord[] => loggedInSessions(home);

/** The admin port a server started with `--admin-listen 127.0.0.1:0` listens on. */
export function adminPortOf(server: RunningServer): number {
  // The port is chosen by the kernel; the server's structured start-up record is where it is
  // told (matched by msg and fields, like the 'listening' record of the mail port).
  const [record] = server.process.records('admin port listening', { host: '127.0.0.1' });
  if (typeof record?.port !== 'number') throw new Error('the server did not say its admin port');
  return record.port;
}

/** One scrape of a server's /metrics. */
export async function scrape(adminPort: number): Promise<Map<string, Family>> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** Waits until the metric sample `name{labels}` satisfies `accept`; resolves with its value. */
export function waitForMetric(
  adminPort: number,
  name: string,
  labels: Record<string, string>,
  accept: (value: number) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  return waitFor(
    `${name}${JSON.stringify(labels)} on the admin port`,
    async () => {
      const value = sampleValue(await scrape(adminPort), name, labels);
      return accept(value) ? value : undefined;
    },
    timeoutMs,
  );
}
