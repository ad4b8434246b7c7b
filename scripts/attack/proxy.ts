/**
 * The attacker's position: a TCP proxy on loopback between a client and the server, which
 * sees and can change every frame. It knows the wire format (8-byte length frames), nothing
 * secret. An attack decides, frame by frame, what to forward, drop, change or inject.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { FramedSocket } from '../../protocol/framing.js';

export type Direction = 'client->server' | 'server->client';

export interface SeenFrame {
  direction: Direction;
  /** Position among the frames of its direction, from 0. */
  index: number;
  bytes: Buffer;
}

/** What an attack may do with a frame the client sent: forward it (changed or not), or drop it. */
export type ClientFrameHandler = (
  frame: Buffer,
  index: number,
  relay: Relay,
) => Promise<Buffer | undefined>;

/**
 * Relays frames both ways and records them. Frames the server sends in answer to something the
 * attacker injected can be taken with `takeServerFrame()`, so the client never sees them.
 */
export class Relay {
  readonly client: FramedSocket;
  readonly server: FramedSocket;
  readonly seen: SeenFrame[] = [];
  readonly #onClientFrame: ClientFrameHandler;
  readonly #takers: { resolve: (frame: Buffer) => void; reject: (error: Error) => void }[] = [];
  #serverFrames = 0;
  #serverFailure: Error | undefined;

  constructor(client: FramedSocket, server: FramedSocket, onClientFrame: ClientFrameHandler) {
    this.client = client;
    this.server = server;
    this.#onClientFrame = onClientFrame;
  }

  /** Runs until either side closes; then closes the other. */
  async run(): Promise<void> {
    await Promise.all([this.#pumpClient(), this.#pumpServer()]);
  }

  /** Sends a frame to the server as if the client had sent it. */
  inject(frame: Buffer): Promise<void> {
    this.seen.push({ direction: 'client->server', index: -1, bytes: frame });
    return this.server.write(frame);
  }

  /** The server's next frame, kept from the client. Rejects when the server closes instead. */
  takeServerFrame(): Promise<Buffer> {
    if (this.#serverFailure) return Promise.reject(this.#serverFailure);
    return new Promise((resolve, reject) => {
      this.#takers.push({ resolve, reject });
    });
  }

  clientFrames(): Buffer[] {
    return this.seen
      .filter((frame) => frame.direction === 'client->server' && frame.index >= 0)
      .map((frame) => frame.bytes);
  }

  async #pumpClient(): Promise<void> {
    for (let index = 0; ; index++) {
      let frame: Buffer;
      try {
        frame = await this.client.read();
      } catch {
        this.server.destroy();
        return;
      }
      this.seen.push({ direction: 'client->server', index, bytes: frame });
      let out: Buffer | undefined;
      try {
        out = await this.#onClientFrame(frame, index, this);
        if (out) await this.server.write(out);
      } catch {
        this.client.destroy();
        this.server.destroy();
        return;
      }
    }
  }

  async #pumpServer(): Promise<void> {
    for (;;) {
      let frame: Buffer;
      try {
        frame = await this.server.read();
      } catch (error) {
        this.#serverFailure = error as Error;
        for (const taker of this.#takers.splice(0)) taker.reject(this.#serverFailure);
        // Let the client see the end the way the server ended.
        this.client.destroy();
        return;
      }
      this.seen.push({ direction: 'server->client', index: this.#serverFrames++, bytes: frame });
      const taker = this.#takers.shift();
      if (taker) {
        taker.resolve(frame);
        continue;
      }
      await this.client.write(frame).catch(() => undefined);
    }
  }
}

export interface Proxy {
  port: number;
  /** Settles when the first connection's relay has finished. */
  finished: Promise<void>;
  close(): Promise<void>;
}

/** Listens on loopback; relays the first connection to the server, through `handler`. */
export async function startProxy(
  upstreamPort: number,
  handler: ClientFrameHandler,
  onRelay?: (relay: Relay) => void,
): Promise<Proxy> {
  let settle: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(upstream);
    upstream.once('connect', () => {
      const relay = new Relay(new FramedSocket(socket), new FramedSocket(upstream), handler);
      onRelay?.(relay);
      relay.run().then(settle, settle);
    });
    upstream.once('error', () => {
      socket.destroy();
      settle();
    });
  });
  return listenOnLoopback(server, sockets, finished);
}

/** Listens on a free loopback port; closing destroys every connection the server took. */
async function listenOnLoopback(
  server: Server,
  sockets: Set<Socket>,
  finished: Promise<void>,
): Promise<Proxy> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    finished,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/** Listens on loopback and plays the server itself: the attacker's fake server. */
export async function startFakeServer(
  serve: (client: FramedSocket) => Promise<void>,
): Promise<Proxy> {
  let settle: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const framed = new FramedSocket(socket);
    serve(framed)
      .catch(() => undefined)
      .finally(() => {
        framed.destroy();
        settle();
      });
  });
  return listenOnLoopback(server, sockets, finished);
}
