/**
 * The pages the gateway writes itself (refusals, not found, UI not built): each says what
 * happened and what to do next. No script and no inline style, so they pass the strict CSP as
 * they are; their look comes from one stylesheet at a fixed path of the gateway's own origin.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export const PAGE_STYLESHEET_PATH = '/_gateway/page.css';

export interface GatewayPage {
  status: number;
  title: string;
  /** What happened. Text in `backquotes` is shown as code. */
  explanation: readonly string[];
  /** What to do about it. */
  nextStep: string;
  link?: { href: string; text: string };
}

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const inline = (text: string): string =>
  escapeHtml(text).replace(/`([^`]+)`/g, (_match, code: string) => `<code>${code}</code>`);

export function renderPage(page: GatewayPage): string {
  const paragraphs = page.explanation.map((text) => `<p>${inline(text)}</p>`).join('\n');
  const link = page.link
    ? `\n<p><a href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.text)}</a></p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title)} · Sealed Mail</title>
<link rel="stylesheet" href="${PAGE_STYLESHEET_PATH}">
</head>
<body>
<main>
<p class="brand">Sealed Mail · local gateway</p>
<h1>${escapeHtml(page.title)}</h1>
${paragraphs}
<h2>What to do</h2>
<p class="next">${inline(page.nextStep)}</p>${link}
<p class="status">HTTP ${page.status}</p>
</main>
</body>
</html>
`;
}

export function sendPage(reply: FastifyReply, page: GatewayPage): FastifyReply {
  return reply.code(page.status).type('text/html; charset=utf-8').send(renderPage(page));
}

const OPEN_THE_LINK =
  'Open the sign-in link the gateway printed in its terminal (it looks like `http://127.0.0.1:8080/?token=…`).';

export const pages = {
  signInLinkNeeded: {
    status: 401,
    title: 'Sign-in link needed',
    explanation: [
      'This gateway serves only a browser that has opened the sign-in link it printed when it started.',
      'A gateway that was restarted makes a new link, and the old one stops working.',
    ],
    nextStep: OPEN_THE_LINK,
  },
  wrongToken: {
    status: 401,
    title: 'This sign-in link is out of date',
    explanation: [
      'The link is not the one this gateway printed at its latest start: each start makes a new one.',
    ],
    nextStep: OPEN_THE_LINK,
  },
  foreignHost: {
    status: 403,
    title: 'Not reachable by this name',
    explanation: [
      'This gateway answers only to the names of this computer, such as `127.0.0.1` and `localhost`, so that no web site can reach it under a name of its own.',
    ],
    nextStep: `${OPEN_THE_LINK} To reach the gateway by another name, start it with \`--allow-host NAME\`.`,
  },
  foreignOrigin: {
    status: 403,
    title: 'Only for the gateway’s own pages',
    explanation: ['The gateway’s connection for mail is open to its own pages only.'],
    nextStep: OPEN_THE_LINK,
  },
  notFound: {
    status: 404,
    title: 'No such page',
    explanation: ['There is nothing at this address on the gateway.'],
    nextStep: 'Go to the mail.',
    link: { href: '/', text: 'Open Sealed Mail' },
  },
} as const satisfies Record<string, GatewayPage>;

export function uiNotBuiltPage(webRoot: string): GatewayPage {
  return {
    status: 503,
    title: 'The web UI is not built',
    explanation: [
      `The gateway is running, but its UI folder has no \`index.html\` (\`${webRoot}\`).`,
    ],
    nextStep:
      'Build it with `npm run build`, then reload this page; or start the gateway with `--web-root DIR` naming the built UI.',
  };
}

const STYLESHEET = `:root {
  color-scheme: light dark;
  --page: #f4f5f7;
  --card: #ffffff;
  --text: #1d2127;
  --muted: #5a626e;
  --line: #d9dde3;
  --accent: #1f5fbf;
  --code: #eef1f5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --page: #131518;
    --card: #1d2025;
    --text: #e7e9ec;
    --muted: #a3aab5;
    --line: #343941;
    --accent: #8ab4f8;
    --code: #2a2e35;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  min-height: 100vh;
  display: grid;
  place-items: center;
  padding: 1.5rem;
  background: var(--page);
  color: var(--text);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
main {
  width: 100%;
  max-width: 36rem;
  padding: 2rem 2.25rem;
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 12px;
}
.brand {
  margin: 0 0 1.25rem;
  color: var(--muted);
  font-size: 0.85rem;
  letter-spacing: 0.04em;
  text-transform: uppercase;
}
h1 { margin: 0 0 1rem; font-size: 1.6rem; line-height: 1.25; }
h2 { margin: 1.5rem 0 0.4rem; font-size: 1rem; }
p { margin: 0 0 0.75rem; }
.next { font-weight: 500; }
.status { margin: 1.5rem 0 0; color: var(--muted); font-size: 0.85rem; }
a { color: var(--accent); }
code {
  padding: 0.1em 0.35em;
  background: var(--code);
  border-radius: 4px;
  font: 0.9em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  overflow-wrap: anywhere;
}
`;

/** The pages' stylesheet; it is served to anyone (no cookie, any Host): it holds nothing secret. */
export function registerPageStylesheet(app: FastifyInstance): void {
  app.get(PAGE_STYLESHEET_PATH, { config: { access: 'public' } }, (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(STYLESHEET),
  );
}
