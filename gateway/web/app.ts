/**
 * The gateway's web side, built by a function and listened on separately (tests use it
 * without a port): security hooks, the token exchange, the UI and the one WebSocket route.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { MAX_WS_MESSAGE_BYTES, type Reply } from '../messages.js';
import { resolveConfig, type GatewayConfig, type GatewayOptions } from './config.js';
import { availableProtocols, BrowserSession } from './browser-session.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import {
  HostAllowList,
  isSameOrigin,
  newSecret,
  secretsEqual,
  securityHeaders,
} from './security.js';
import { formatServerAddress } from './server-address.js';
import { reachabilityProbe } from './probe.js';
import { SessionChildren } from './session-process.js';
import { plainPage, registerUi } from './ui.js';

export const WS_PATH = '/ws';

export interface Gateway {
  app: FastifyInstance;
  config: GatewayConfig;
  /** The start-up token: `http://HOST:PORT/?token=<token>` signs a browser in to the gateway. */
  token: string;
  /** Pids of the live session children (one per signed-in browser session). */
  childPids(): number[];
  /** Closes every socket, ends every session child and stops listening. */
  close(): Promise<void>;
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

function refuse(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(plainPage(title, [text]));
}

export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const config = resolveConfig(options, options.token ?? newSecret());
  // The cookie carries its own secret, so the token in the URL (and in the browser's history)
  // is not what authorises the socket.
  const cookieSecret = newSecret();
  const hosts = new HostAllowList(config.allowedHosts);
  const children = new SessionChildren(config.childScript, config.spareChildren);
  const enhancedReachable = reachabilityProbe(config.defaultEnhancedServer);
  const signInLimiter = new SlidingWindowLimiter(
    config.signInLimit.max,
    config.signInLimit.windowMs,
  );
  const sessions = new Set<BrowserSession>();

  const app = Fastify({
    ...(config.logger ? { loggerInstance: config.logger } : { logger: false }),
    bodyLimit: 1024,
    // A gateway on localhost sits behind no proxy: X-Forwarded-* is never believed.
    trustProxy: false,
  });

  const sockets = new Set<WebSocket>();
  // Before the WebSocket plugin's own hook, which closes without a code: 1001 says "going away".
  app.addHook('preClose', (done) => {
    for (const socket of sockets) socket.close(1001, 'the gateway is stopping');
    done();
  });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 2 * MAX_WS_MESSAGE_BYTES } });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(
      securityHeaders(hosts.allows(request.headers.host) ? request.headers.host : undefined),
    );
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html'))
      reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // DNS rebinding: a foreign name that resolves to 127.0.0.1 still says its own name here.
    if (!hosts.allows(request.headers.host)) {
      return refuse(reply, 403, 'Forbidden', 'This gateway answers only to localhost names.');
    }
    const url = new URL(request.url, 'http://gateway.invalid');
    if (request.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      if (!secretsEqual(url.searchParams.get('token') ?? '', config.token)) {
        return refuse(
          reply,
          401,
          'Wrong token',
          'This sign-in link is not the one the gateway printed at its start.',
        );
      }
      reply.setCookie(config.cookieName, cookieSecret, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
      });
      return reply.redirect('/', 303);
    }
    if (url.pathname === WS_PATH && !isSameOrigin(request.headers.origin, request.headers.host)) {
      return refuse(
        reply,
        403,
        'Forbidden',
        'The WebSocket is open to the gateway’s own pages only.',
      );
    }
    const cookie = request.cookies[config.cookieName];
    if (cookie === undefined || !secretsEqual(cookie, cookieSecret)) {
      return refuse(
        reply,
        401,
        'Sign-in link needed',
        'Open the link with the token that the gateway printed when it started.',
      );
    }
    return undefined;
  });

  app.get(WS_PATH, { websocket: true }, (socket: WebSocket) => {
    const send = (reply: Reply): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
    };
    const session = new BrowserSession({ config, children, signInLimiter, send });
    sessions.add(session);
    sockets.add(socket);
    socket.on('message', (data: RawData, isBinary: boolean) => {
      session.onMessage(toBuffer(data), isBinary);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      sessions.delete(session);
      session.close();
    });
    void enhancedReachable().then((reachable) => {
      const protocols = availableProtocols();
      send({
        type: 'hello',
        defaultServer: formatServerAddress(config.defaultServer),
        enhancedServer: formatServerAddress(config.defaultEnhancedServer),
        protocols,
        defaultProtocol: reachable && protocols.includes('enhanced') ? 'enhanced' : 'classic',
        pollSeconds: config.pollSeconds,
      });
    });
  });

  await registerUi(app, config.webRoot);
  app.setNotFoundHandler((_request, reply) =>
    refuse(reply, 404, 'Not found', 'There is no such page.'),
  );

  app.addHook('onClose', async () => {
    for (const session of sessions) session.close();
    sessions.clear();
    await children.closeAll(config.childGraceMs);
  });

  return {
    app,
    config,
    token: config.token,
    childPids: () => children.pids(),
    close: () => app.close(),
  };
}
