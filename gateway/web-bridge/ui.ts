/** Serves the built UI, or a page saying it is not built. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendPage, uiNotBuiltPage } from './pages.js';

export async function registerUi(app: FastifyInstance, webRoot: string): Promise<void> {
  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: webRoot,
      index: 'index.html',
      wildcard: true,
      dotfiles: 'deny',
    });
    return;
  }
  const page = uiNotBuiltPage(webRoot);
  app.get('/', (_request, reply) => sendPage(reply, page));
}
