/**
 * The gateway's web side, built by a function and listened on separately (tests use it
 * without a port): access checks, the token exchange, the page secret, the one WebSocket
 * route, the UI and the gateway's own pages.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { MAX_WS_MESSAGE_BYTES, type Reply } from '../messages.js';
import { registerAccessChecks } from './access.js';
import { AnonymousConnections } from './anonymous-connections.js';
import { SocketsPerAddress } from './address-sockets.js';
import { BrowserCookies } from './browser-cookies.js';
import { availableProtocols, BrowserSession } from './browser-session.js';
import { BrowserSessions } from './browser-sessions.js';
import { DowngradeGuard } from './downgrade-guard.js';
import { resolveConfig, type GatewayConfig, type GatewayOptions } from './config.js';
import { PageSecrets } from './page-secrets.js';
import { pages, registerPageStylesheet, sendPage } from './pages.js';
import { reachabilityProbe } from './probe.js';
import { HostAllowList, newSecret } from './security.js';
import { formatServerList } from '../protocol-client/server-list.js';
import { registerSessionRoute, SESSION_PATH } from './session-route.js';
import { SessionChildren } from './child-handles.js';
import { SignInThrottle } from './sign-in-throttle.js';
import { registerSocketRoute, WS_PATH, type MessageHandler } from './socket-route.js';
import { registerUi } from './ui.js';

export { WS_PATH };

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

export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const config = resolveConfig(options, options.token ?? newSecret());
  const children = new SessionChildren(config.childScript, config.spareChildren);
  const enhancedReachable = reachabilityProbe(config.servers.enhanced[0]);
  const signInThrottle = new SignInThrottle(config.signInBackoff, config.now);
  const downgrades = new DowngradeGuard(config.dataDir, config.logger);
  const sessions = new BrowserSessions(
    () => new BrowserSession({ config, children, signInThrottle, downgrades }),
    config.detachedGraceSeconds * 1000,
  );
  // Kept in the data folder: a restarted gateway still knows the browsers it gave a cookie.
  const cookies = BrowserCookies.fromDataFolder(config.dataDir, config.now);

  const app = Fastify({
    ...(config.logger ? { loggerInstance: config.logger } : { logger: false }),
    bodyLimit: 1024,
    // A gateway on localhost sits behind no proxy: X-Forwarded-* is never believed.
    trustProxy: false,
    // Anyone on this machine can connect: a request must arrive whole, and soon.
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // Node looks for late requests this often (30 s by default, on top of the timeouts).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, config.headersTimeoutMs / 4)),
    },
    // Stopping does not wait for a stranger's half-sent request.
    forceCloseConnections: true,
  });
  const anonymous = new AnonymousConnections(config.maxAnonymousConnections);
  anonymous.watch(app.server);

  // Before the WebSocket plugin's own hook, which closes without a code: 1001 says "going away".
  app.addHook('preClose', (done) => {
    for (const socket of app.websocketServer.clients) socket.close(1001, 'the gateway is stopping');
    done();
  });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 2 * MAX_WS_MESSAGE_BYTES } });

  registerAccessChecks(app, {
    hosts: new HostAllowList(config.allowedHosts),
    token: config.token,
    cookies,
    cookieBaseName: config.cookieName,
    socketPath: WS_PATH,
    // The routes a page needs the cookie for beyond its own: the UI's files are under /assets.
    tossablePaths: [
      SESSION_PATH,
      WS_PATH,
      '/assets',
      '/assets/',
      `${SESSION_PATH}/`,
      `${WS_PATH}/`,
    ],
    trust: (socket) => {
      anonymous.trust(socket);
    },
  });
  registerPageStylesheet(app);
  const secrets = new PageSecrets(config.pageSecretTtlMs, config.maxPageSecrets, config.now);
  registerSessionRoute(app, secrets);

  /** Whether the default enhanced server answers, and the one gone missing if it was known. */
  const helloFacts = async (): Promise<{ reachable: boolean; enhancedMissing?: string }> => {
    const [defaultEnhanced] = config.servers.enhanced;
    const reachable = await enhancedReachable();
    // An enhanced port that answers is remembered for the default server's host.
    if (reachable) downgrades.remember([config.servers.classic[0].host], defaultEnhanced);
    const enhancedMissing = await downgrades.missingEnhanced(config.servers.classic);
    return enhancedMissing === undefined ? { reachable } : { reachable, enhancedMissing };
  };

  const serve = (socket: WebSocket, browserId: string): MessageHandler => {
    const tab = {
      send: (reply: Reply): void => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
      },
    };
    const session = sessions.attach(browserId, tab);
    socket.once('close', () => {
      sessions.detach(browserId, tab);
    });
    void helloFacts().then(({ reachable, enhancedMissing }) => {
      const protocols = availableProtocols();
      tab.send({
        type: 'hello',
        defaultServer: formatServerList(config.servers.classic),
        enhancedServer: formatServerList(config.servers.enhanced),
        protocols,
        defaultProtocol: reachable && protocols.includes('enhanced') ? 'enhanced' : 'classic',
        ...(enhancedMissing === undefined ? {} : { enhancedMissing }),
        pollSeconds: config.pollSeconds,
        // A page of a browser already signed in goes straight to its mail.
        ...(session.resumed ? { resumed: session.resumed } : {}),
      });
    });
    return (data, isBinary) => {
      session.onMessage(tab, data, isBinary);
    };
  };
  registerSocketRoute(app, {
    secrets,
    socketsPerAddress: new SocketsPerAddress(config.maxSocketsPerAddress),
    authTimeoutMs: config.authTimeoutMs,
    serve,
  });

  await registerUi(app, config.webRoot);
  app.setNotFoundHandler((_request, reply) => sendPage(reply, pages.notFound));

  app.addHook('onClose', async () => {
    sessions.closeAll();
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
