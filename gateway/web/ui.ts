/** Serves the built UI, or a plain page saying it is not built. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A page with no script and no inline style, so it passes the strict CSP as is. */
export function plainPage(title: string, paragraphs: readonly string[]): string {
  const body = paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
  return `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body>\n</html>\n`;
}

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
  const page = plainPage('Sealed Mail: the web UI is not built', [
    `There is no index.html in ${webRoot}.`,
    'Build the UI (npm run build in web/, which runs vite build), or start the gateway with --web-root DIR.',
    'The gateway itself is running: its WebSocket is at /ws.',
  ]);
  app.get('/', (_request, reply) => reply.code(503).type('text/html; charset=utf-8').send(page));
}
