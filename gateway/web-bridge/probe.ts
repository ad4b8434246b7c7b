import { connect } from 'node:net';
import type { ServerAddress } from './server-address.js';

/**
 * Whether a TCP server answers at an address, remembered for a while so that every new browser
 * tab does not cost a connection. A probe that only connects and closes never reaches a
 * session process of the mail server (it waits in the parent for a login that never comes).
 */
export function reachabilityProbe(
  address: ServerAddress,
  timeoutMs = 500,
  rememberMs = 5000,
): () => Promise<boolean> {
  let last: { at: number; result: Promise<boolean> } | undefined;
  const probe = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect({ host: address.host, port: address.port });
      const done = (result: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => {
        done(false);
      }, timeoutMs);
      socket.once('connect', () => {
        done(true);
      });
      socket.once('error', () => {
        done(false);
      });
    });
  return () => {
    if (!last || Date.now() - last.at > rememberMs) last = { at: Date.now(), result: probe() };
    return last.result;
  };
}
