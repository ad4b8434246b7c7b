/**
 * `admin wait-ready`: the readiness check of the systemd units (ExecStartPost), since node
 * cannot send sd_notify's datagram. A mail server is ready when its pid file is in HOME/.run/
 * (written once it listens, run-files.ts); the gateway when its port accepts a connection.
 */
import { connect } from 'node:net';
import { runningServers } from '../mail-server/run-files.js';

const POLL_MS = 100;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

const processIsGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

export type ReadyTarget =
  | { kind: 'server'; home: string; channel: string; pid: number }
  | { kind: 'tcp'; host: string; port: number };

/** Waits until the target is ready: 'ready', or why not ('gone' or 'timeout'). */
export async function waitReady(
  target: ReadyTarget,
  timeoutMs: number,
): Promise<'ready' | 'gone' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (target.kind === 'tcp') {
      if (await accepts(target.host, target.port)) return 'ready';
    } else {
      const { home, channel, pid } = target;
      if (runningServers(home).some((s) => s.kind === channel && s.pid === pid)) return 'ready';
      if (processIsGone(pid)) return 'gone';
    }
    if (Date.now() >= deadline) return 'timeout';
    await pause(POLL_MS);
  }
}
