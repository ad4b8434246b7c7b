import { connect as netConnect, type Socket } from 'node:net';
import { ProtocolError } from '../../protocol/errors.js';

export interface ConnectOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

/** Opens the TCP connection to the mail server, with a clear error when it cannot. */
export function connectTcp({
  host,
  port,
  connectTimeoutMs = 10_000,
}: ConnectOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ProtocolError(
          'CONNECT_FAILED',
          `no answer from ${host}:${port} within ${connectTimeoutMs} ms`,
        ),
      );
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason =
        error.code === 'ECONNREFUSED'
          ? 'connection refused'
          : error.code === 'ENOTFOUND'
            ? 'unknown host'
            : error.message;
      reject(
        new ProtocolError(
          'CONNECT_FAILED',
          `cannot reach the mail server at ${host}:${port} (${reason})`,
          { cause: error },
        ),
      );
    });
  });
}
