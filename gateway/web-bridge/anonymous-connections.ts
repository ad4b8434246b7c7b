/**
 * Connections that have not shown the gateway's cookie yet, at most `max` at a time. Anyone on
 * this machine can connect, and a connection that sends half a request holds a file descriptor
 * until the headers timeout; enough of them exhausted the process's descriptors, and then the
 * owner's own requests failed. Beyond the cap the oldest of them is closed, never the newest:
 * the owner's browser, on a new connection, sends its cookie within a millisecond and is then
 * out of reach, whereas refusing new connections would refuse the owner with the rest.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export class AnonymousConnections {
  readonly #max: number;
  /** Oldest first: a Set keeps insertion order. */
  readonly #waiting = new Set<Socket>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts every new connection of `server` as anonymous until `trust` is called for it. */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.#add(socket);
    });
  }

  /** The connection carried a request with the valid cookie: it no longer counts. */
  trust(socket: Socket): void {
    this.#waiting.delete(socket);
  }

  #add(socket: Socket): void {
    this.#waiting.add(socket);
    socket.once('close', () => this.#waiting.delete(socket));
    while (this.#waiting.size > this.#max) {
      const oldest = this.#waiting.values().next();
      if (oldest.done === true) break;
      this.#waiting.delete(oldest.value);
      oldest.value.destroy();
    }
  }
}
