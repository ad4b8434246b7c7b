/**
 * Mail-server hosts that share one PostgreSQL store: each a real server process (dist/) on
 * its own loopback port, with the same home. A host runs in a process group of its own, so
 * that a test can kill -9 all of it (the parent and its session processes) at once.
 */
import { Spawned, distPath } from './processes.js';

export interface MailHost {
  port: number;
  process: Spawned;
  /** kill -9 of the whole host. */
  kill: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function startMailHost(
  home: string,
  store: string,
  extraArgs: string[] = [],
): Promise<MailHost> {
  // setsid: the server leads a new process group, which its session processes join.
  const server = new Spawned('setsid', [
    process.execPath,
    distPath('mail-server/main.js'),
    '--home',
    home,
    '--store',
    store,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...extraArgs,
  ]);
  const listening = await server.waitForRecord('listening', {}, { timeoutMs: 30_000 });
  const pid = server.child.pid ?? 0;
  return {
    port: listening.port as number,
    process: server,
    kill: async () => {
      process.kill(-pid, 'SIGKILL');
      await server.exited;
    },
    stop: () => server.stop(),
  };
}

/** Two hosts on one store, started together (their schema migrations race, as at a real start). */
export async function startTwoHosts(
  home: string,
  store: string,
  extraArgs: string[] = [],
): Promise<[MailHost, MailHost]> {
  const [a, b] = await Promise.all([
    startMailHost(home, store, extraArgs),
    startMailHost(home, store, extraArgs),
  ]);
  return [a, b];
}
