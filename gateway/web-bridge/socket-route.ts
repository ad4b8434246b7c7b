/**
 * The one WebSocket route. Its own hook refuses an upgrade whose Origin is not the gateway's:
 * on the route itself, so every spelling of the path that the router takes for it is checked.
 * An accepted socket counts against its client address, and its first message must present a
 * page secret; until then nothing is sent to it and nothing else it sends is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { AuthenticateSchema, WsCloseCode } from '../messages.js';
import type { SocketsPerAddress } from './address-sockets.js';
import type { PageSecrets } from './page-secrets.js';
import { pages, sendPage } from './pages.js';
import { isSameOrigin } from './security.js';

export const WS_PATH = '/ws';

/** An authenticate message is tiny; anything longer is not one. */
const MAX_AUTHENTICATE_BYTES = 1024;

export type MessageHandler = (data: Buffer, isBinary: boolean) => void;

export interface SocketRouteContext {
  secrets: PageSecrets;
  socketsPerAddress: SocketsPerAddress;
  authTimeoutMs: number;
  /**
   * Starts serving a socket that presented its secret, for the browser its cookie names;
   * returns the handler of its messages.
   */
  serve(socket: WebSocket, browserId: string): MessageHandler;
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

function presentsSecret(data: Buffer, isBinary: boolean, secrets: PageSecrets): boolean {
  if (isBinary || data.length > MAX_AUTHENTICATE_BYTES) return false;
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return false;
  }
  const parsed = AuthenticateSchema.safeParse(value);
  return parsed.success && secrets.redeem(parsed.data.secret);
}

async function requireOwnOrigin(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (isSameOrigin(request.headers.origin, request.headers.host)) return undefined;
  return sendPage(reply, pages.foreignOrigin);
}

export function registerSocketRoute(app: FastifyInstance, context: SocketRouteContext): void {
  const { secrets, socketsPerAddress, authTimeoutMs } = context;
  app.get(
    WS_PATH,
    { websocket: true, onRequest: requireOwnOrigin },
    (socket: WebSocket, request: FastifyRequest) => {
      const address = request.socket.remoteAddress ?? '';
      if (!socketsPerAddress.tryAdd(address)) {
        socket.close(WsCloseCode.tooMany, 'too many sockets from this address');
        return;
      }
      let handler: MessageHandler | undefined;
      let refused = false;
      const refuse = (): void => {
        refused = true;
        clearTimeout(timer);
        socket.close(WsCloseCode.unauthenticated, 'a page secret is needed first');
      };
      const timer = setTimeout(refuse, authTimeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        socketsPerAddress.remove(address);
      });
      // One listener, deciding in the event itself: a request sent right behind the secret,
      // in the same burst, reaches the session and nothing is read before the secret.
      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (handler) {
          handler(toBuffer(data), isBinary);
          return;
        }
        if (refused) return;
        if (!presentsSecret(toBuffer(data), isBinary, secrets)) {
          refuse();
          return;
        }
        clearTimeout(timer);
        handler = context.serve(socket, request.browserId);
      });
    },
  );
}
