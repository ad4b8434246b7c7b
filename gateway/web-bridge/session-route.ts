/**
 * `GET /session`: a page of the gateway's own origin fetches a page secret here before it opens
 * its WebSocket. The answer is JSON with no CORS header, so a page of any other origin cannot
 * read it, and a request that says it comes from another origin is refused outright.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageSession, PageSessionRefused } from '../messages.js';
import type { PageSecrets } from './page-secrets.js';
import { isSameOrigin } from './security.js';

export const SESSION_PATH = '/session';

/** Origin and Sec-Fetch-Site, when the browser sends them, must both say "this origin". */
function comesFromOwnOrigin(request: FastifyRequest): boolean {
  const { origin, host } = request.headers;
  const site = request.headers['sec-fetch-site'];
  if (origin !== undefined && !isSameOrigin(origin, host)) return false;
  return site === undefined || site === 'same-origin';
}

export function registerSessionRoute(app: FastifyInstance, secrets: PageSecrets): void {
  app.get(
    SESSION_PATH,
    {
      config: { access: 'api' },
      onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
        if (comesFromOwnOrigin(request)) return undefined;
        return reply.code(403).send({
          error: 'origin',
          message: 'a page secret is only for the gateway’s own pages',
        } satisfies PageSessionRefused);
      },
    },
    (_request, reply) => reply.send({ secret: secrets.issue() } satisfies PageSession),
  );
}
