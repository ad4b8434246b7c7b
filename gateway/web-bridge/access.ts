/**
 * The checks every request goes through before its route: the Host allow-list, the start-up
 * token traded for the cookie, the cookie itself, and no WebSocket upgrade anywhere but the
 * socket's own route. Then the security headers on every response.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserCookies } from './browser-cookies.js';
import { COOKIE_LIFETIME_SECONDS } from './browser-cookies.js';
import { cookieValues } from './cookie-values.js';
import type { PageSessionRefused } from '../messages.js';
import { pages, sendPage, type GatewayPage } from './pages.js';
import { secretsEqual, securityHeaders, type HostAllowList } from './security.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `public`: no Host or cookie check (the pages' stylesheet, which holds nothing secret).
     * `api`: refusals are JSON (`PageSessionRefused`) rather than pages.
     */
    access?: 'public' | 'api';
  }
  interface FastifyRequest {
    /** The browser the cookie names (browser-cookies.ts); '' before the access check passed. */
    browserId: string;
  }
}

export interface AccessOptions {
  hosts: HostAllowList;
  /** The start-up token of the printed link. */
  token: string;
  /** Makes and checks the cookie: a browser id signed with the key in the data folder. */
  cookies: BrowserCookies;
  cookieBaseName: string;
  /** The one route where a WebSocket upgrade is taken. */
  socketPath: string;
  /** Paths below `/` whose same-named cookies the token exchange expires (tossed ones). */
  tossablePaths: readonly string[];
  /** Called for the connection of each request that shows the valid cookie. */
  trust(socket: Socket): void;
}

/**
 * Browsers send a cookie to every port of a host, so each gateway names its cookie after the
 * port it serves: two gateways on one machine keep their own.
 */
export const cookieNameFor = (baseName: string, request: FastifyRequest): string =>
  `${baseName}_${String(request.socket.localPort)}`;

export function registerAccessChecks(app: FastifyInstance, options: AccessOptions): void {
  const { hosts, token, cookies, cookieBaseName, socketPath, tossablePaths } = options;
  app.decorateRequest('browserId', '');

  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(
      securityHeaders(hosts.allows(request.headers.host) ? request.headers.host : undefined),
    );
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') || type.startsWith('application/json'))
      reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const { access } = request.routeOptions.config;
    if (access === 'public') return undefined;
    const refuse = (
      page: GatewayPage,
      error: PageSessionRefused['error'],
      message: string,
    ): FastifyReply =>
      access === 'api'
        ? reply.code(page.status).send({ error, message } satisfies PageSessionRefused)
        : sendPage(reply, page);

    // DNS rebinding: a foreign name that resolves to 127.0.0.1 still says its own name here.
    if (!hosts.allows(request.headers.host))
      return refuse(pages.foreignHost, 'host', 'this gateway answers only to localhost names');
    const url = new URL(request.url, 'http://gateway.invalid');
    if (request.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      if (!secretsEqual(url.searchParams.get('token') ?? '', token))
        return sendPage(reply, pages.wrongToken);
      const name = cookieNameFor(cookieBaseName, request);
      // A browser that has a cookie of this gateway keeps its id, and so its session.
      const known = cookies.browserOf(cookieValues(request.headers.cookie, name));
      reply.setCookie(name, cookies.issue(known), {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        maxAge: COOKIE_LIFETIME_SECONDS,
      });
      // Another port's page may have set this name for longer paths, which the browser sends
      // first: the printed link clears them, so that opening it always gives a clean start.
      for (const path of tossablePaths)
        reply.setCookie(name, '', {
          httpOnly: true,
          sameSite: 'strict',
          path,
          maxAge: 0,
          expires: new Date(0),
        });
      return reply.redirect('/', 303);
    }
    // An upgrade is taken on the socket's route only, where its own checks run.
    if (request.ws && request.routeOptions.url !== socketPath)
      return sendPage(reply, pages.notFound);
    // Whichever of several same-named values verifies: tossed ones come first.
    const values = cookieValues(request.headers.cookie, cookieNameFor(cookieBaseName, request));
    const browserId = cookies.browserOf(values);
    if (browserId === undefined) {
      return refuse(
        pages.signInLinkNeeded,
        'cookie',
        'this browser has no cookie of this gateway, or one of an earlier start: open the link the gateway printed in its terminal',
      );
    }
    request.browserId = browserId;
    options.trust(request.raw.socket);
    return undefined;
  });
}
