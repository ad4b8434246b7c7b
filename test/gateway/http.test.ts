/**
 * The gateway's HTTP side, its own pages and its WebSocket guards, in-process (plain HTTP requests, and
 * `ws` against an ephemeral port). No mail server is needed: sign-ins here fail before reaching
 * one, or reach services that are not mail servers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_WS_MESSAGE_BYTES } from '../../gateway/messages.js';
import { buildGateway, type Gateway } from '../../gateway/web-bridge/app.js';
import type { GatewayOptions } from '../../gateway/web-bridge/config.js';
import {
  Browser,
  httpGet,
  makeWebRoot,
  pageSecret,
  upgradeStatus as statusOf,
} from '../helpers/gateway.js';
import { makeKeySetup } from '../helpers/keys.js';
import { distPath } from '../helpers/processes.js';

const TOKEN = 'test-token-0123456789';
const childScript = distPath('gateway/web-bridge/session-child.js');

async function started(
  options: Partial<GatewayOptions> & { keysDir: string },
): Promise<{ gateway: Gateway; base: string }> {
  const gateway = await buildGateway({ token: TOKEN, childScript, spareChildren: 0, ...options });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = gateway.app.server.address() as AddressInfo;
  return { gateway, base: `http://127.0.0.1:${port}` };
}

const upgradeStatus = (base: string, headers: Record<string, string>): Promise<number> =>
  statusOf(`${base.replace('http:', 'ws:')}/ws`, headers);

/** A TCP service on loopback that is not a mail server: it answers every connection with `answer`. */
async function foreignService(
  answer: (socket: Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('gateway over HTTP', () => {
  let keys: { dir: string; cleanup: () => void };
  let web: { dir: string; cleanup: () => void };
  let gateway: Gateway;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    keys = await makeKeySetup(['client1', 'client2']);
    web = makeWebRoot();
    ({ gateway, base } = await started({
      keysDir: keys.dir,
      webRoot: web.dir,
    }));
    const exchange = await httpGet(gateway.app.server, `/?token=${TOKEN}`, {
      Host: 'localhost:8080',
    });
    cookie = exchange.cookies[0]?.split(';')[0] ?? '';
  });

  afterAll(async () => {
    await gateway.close();
    web.cleanup();
    keys.cleanup();
  });

  it('trades the start-up token once for an HttpOnly SameSite=Strict cookie and a redirect to /', async () => {
    const response = await httpGet(gateway.app.server, `/?token=${TOKEN}`, {
      Host: '127.0.0.1:8080',
    });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/');
    const setCookie = response.cookies[0] ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // The cookie holds a secret of its own, not the token of the URL.
    expect(setCookie).not.toContain(TOKEN);
    expect(cookie).toMatch(new RegExp(`^sealed_mail_gateway_${new URL(base).port}=`));
  });

  it('refuses a wrong token and sets no cookie', async () => {
    const response = await httpGet(gateway.app.server, '/?token=wrong', { Host: 'localhost' });
    expect(response.status).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('serves nothing without the cookie', async () => {
    const page = await httpGet(gateway.app.server, '/', { Host: 'localhost' });
    expect(page.status).toBe(401);
    const script = await httpGet(gateway.app.server, '/app.js', { Host: 'localhost' });
    expect(script.status).toBe(401);
  });

  it('serves the UI with a strict CSP and the usual security headers', async () => {
    const page = await httpGet(gateway.app.server, '/', { Host: 'localhost:8080', Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<script type="module" src="/app.js">');
    const csp = page.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self' ws://localhost:8080");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const script = await httpGet(gateway.app.server, '/app.js', {
      Host: 'localhost:8080',
      Cookie: cookie,
    });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['content-security-policy']).toBe(csp);
    const missing = await httpGet(gateway.app.server, '/nothing-here', {
      Host: 'localhost',
      Cookie: cookie,
    });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toBeDefined();
  });

  it('refuses a foreign Host (DNS rebinding), even with the token or the cookie', async () => {
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', '']) {
      const withToken = await httpGet(gateway.app.server, `/?token=${TOKEN}`, { Host: host });
      expect(withToken.status, host).toBe(403);
      expect(withToken.headers['set-cookie']).toBeUndefined();
      const withCookie = await httpGet(gateway.app.server, '/', { Host: host, Cookie: cookie });
      expect(withCookie.status, host).toBe(403);
    }
    for (const host of ['localhost', '127.0.0.1:9', '[::1]:8080', 'mail.localhost:8080']) {
      const page = await httpGet(gateway.app.server, '/', { Host: host, Cookie: cookie });
      expect(page.status, host).toBe(200);
    }
  });

  it('refuses a WebSocket upgrade from a foreign Origin, without Origin, or without the cookie', async () => {
    expect(await upgradeStatus(base, { cookie, origin: 'http://evil.example' })).toBe(403);
    expect(
      await upgradeStatus(base, { cookie, origin: base.replace('127.0.0.1', 'localhost') }),
    ).toBe(403);
    expect(await upgradeStatus(base, { cookie })).toBe(403);
    expect(await upgradeStatus(base, { origin: base })).toBe(401);
    const forged = `${cookie.split('=')[0] ?? ''}=forged`;
    expect(await upgradeStatus(base, { origin: base, cookie: forged })).toBe(401);
    expect(await upgradeStatus(base, { cookie, origin: base, host: 'evil.example' })).toBe(403);
    expect(await upgradeStatus(base, { cookie, origin: base })).toBe(101);
  });

  it('says hello, after the page secret, with the default server, the protocols and the poll interval', async () => {
    const secret = await pageSecret(base, cookie);
    const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, {
      headers: { cookie, origin: base },
    });
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'authenticate', secret }));
    });
    const hello = await new Promise<unknown>((resolve) =>
      socket.once('message', (data: Buffer) => {
        resolve(JSON.parse(data.toString()));
      }),
    );
    socket.close();
    expect(hello).toMatchObject({
      type: 'hello',
      defaultServer: '127.0.0.1:13000',
      pollSeconds: 10,
    });
    expect((hello as { protocols: string[] }).protocols).toContain('classic');
  });

  it('answers malformed and oversized messages with typed errors and changes nothing', async () => {
    const browser = await Browser.open(base, cookie);
    expect(await browser.sendRaw('not json')).toMatchObject({
      type: 'error',
      id: null,
      code: 'BAD_REQUEST',
    });
    expect(await browser.sendRaw(Buffer.from('{}'), true)).toMatchObject({
      id: null,
      code: 'BAD_REQUEST',
    });
    expect(await browser.sendRaw('{"type":"listInbox"}')).toMatchObject({
      id: null,
      code: 'BAD_REQUEST',
    });
    expect(await browser.sendRaw('{"type":"explode","id":4}')).toMatchObject({
      id: 4,
      code: 'BAD_REQUEST',
    });
    expect(await browser.sendRaw('{"type":"read","id":5,"index":"1; rm -rf"}')).toMatchObject({
      id: 5,
      code: 'BAD_REQUEST',
    });
    expect(await browser.sendRaw('[1,2,3]')).toMatchObject({ id: null, code: 'BAD_REQUEST' });
    expect(
      await browser.sendRaw(
        `{"type":"signOut","id":6,"pad":"${'x'.repeat(MAX_WS_MESSAGE_BYTES)}"}`,
      ),
    ).toMatchObject({
      id: null,
      code: 'TOO_LARGE',
    });
    const title = 'x'.repeat(101);
    expect(
      await browser.request({ type: 'send', to: ['client2'], title, content: 'hi' }),
    ).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(
      await browser.request({ type: 'send', to: ['client2'], title: 'a\nb', content: '' }),
    ).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(
      await browser.request({
        type: 'send',
        to: ['client2'],
        title: 't',
        content: 'é'.repeat(1_000_001),
      }),
    ).toMatchObject({
      code: 'INVALID_EMAIL',
    });
    expect(await browser.request({ type: 'listInbox' })).toMatchObject({ code: 'NOT_SIGNED_IN' });
    expect(await browser.request({ type: 'read', index: 1 })).toMatchObject({
      code: 'NOT_SIGNED_IN',
    });
    // A path in the username must never become a path to a key.
    expect(await browser.signIn('../client1', 'password1')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await browser.signIn('client1', 'password1', 'not a host')).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await browser.signIn('client1', 'password1', '127.0.0.1:99999')).toMatchObject({
      code: 'BAD_REQUEST',
    });
    // Nothing of it started a session process, and the socket still works.
    expect(gateway.childPids()).toEqual([]);
    expect(await browser.request({ type: 'signOut' })).toMatchObject({ type: 'signedOut' });
    expect(browser.socket.readyState).toBe(WebSocket.OPEN);
    await browser.close();
  });

  it('says which user has no key on this machine, without a path of the machine', async () => {
    const browser = await Browser.open(base, cookie);
    const reply = await browser.signIn('client9', 'password9', '127.0.0.1:1');
    expect(reply).toMatchObject({ type: 'error', code: 'MISSING_KEY' });
    const { message } = reply as { message: string };
    expect(message).toMatch(/no key for "client9"/);
    expect(message).toContain('client9_private.pem');
    expect(message).not.toContain(keys.dir);
    expect(message).not.toContain(tmpdir());
    await browser.close();
  });

  it('says only that a foreign service is not a mail server, never what it answered', async () => {
    // An HTTP server, and a service that greets first with a banner (as SMTP and SSH do).
    const http = await foreignService((socket) => {
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 400 Bad Request\r\nServer: secret-banner/9.9\r\nContent-Length: 11\r\n\r\nBad Request',
        );
      });
    });
    const banner = await foreignService((socket) => {
      socket.write('220 mail.internal.example ESMTP secret-banner 9.9\r\n');
    });
    const closed = await foreignService(() => undefined);
    await closed.close();
    const browser = await Browser.open(base, cookie);
    try {
      for (const protocol of ['classic', 'enhanced'] as const) {
        for (const service of [http, banner]) {
          const server = `127.0.0.1:${service.port}`;
          const reply = await browser.request({
            type: 'signIn',
            server,
            username: 'client1',
            password: 'password1',
            protocol,
          });
          // Nothing of what the service sent, not even a frame length made of its bytes.
          expect(reply, protocol).toEqual({
            type: 'error',
            id: expect.any(Number) as number,
            code: 'SERVER_UNREACHABLE',
            message: `${server} did not answer as a mail server`,
          });
        }
      }
      expect(await browser.signIn('client1', 'password1', `127.0.0.1:${closed.port}`)).toEqual(
        expect.objectContaining({
          code: 'SERVER_UNREACHABLE',
          message: `127.0.0.1:${closed.port} refused the connection`,
        }),
      );
    } finally {
      await browser.close();
      await http.close();
      await banner.close();
    }
  });

  it('serves its own pages styled and script-free, each saying what to do next', async () => {
    const host = new URL(base).host;
    const pages = [
      {
        what: 'no cookie',
        path: '/',
        headers: { Host: host },
        status: 401,
        next: /link the gateway printed/,
      },
      {
        what: 'a wrong token',
        path: '/?token=old',
        headers: { Host: host },
        status: 401,
        next: /link the gateway printed/,
      },
      {
        what: 'a foreign Host',
        path: '/',
        headers: { Host: 'evil.example', Cookie: cookie },
        status: 403,
        next: /--allow-host/,
      },
      {
        what: 'no such page',
        path: '/nothing',
        headers: { Host: host, Cookie: cookie },
        status: 404,
        next: /href="\/"/,
      },
    ];
    for (const { what, path, headers, status, next } of pages) {
      const page = await httpGet(gateway.app.server, path, headers);
      expect(page.status, what).toBe(status);
      expect(page.headers['content-type'], what).toMatch(/^text\/html/);
      expect(page.text, what).toContain('<link rel="stylesheet" href="/_gateway/page.css">');
      expect(page.text, what).toMatch(/<h2>What to do<\/h2>/);
      expect(page.text, what).toMatch(next);
      expect(page.text, what).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
      expect(page.headers['content-security-policy'], what).toContain("style-src 'self'");
    }
    // The stylesheet is served to a page that has no cookie (the 401 page itself), light and dark.
    const stylesheet = await httpGet(gateway.app.server, '/_gateway/page.css', { Host: host });
    expect(stylesheet.status).toBe(200);
    expect(stylesheet.headers['content-type']).toMatch(/^text\/css/);
    expect(stylesheet.text).toContain('@media (prefers-color-scheme: dark)');
  });

  it('serves a styled page, with no script, when the UI is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sealed-mail-noui-'));
    const bare = await buildGateway({
      keysDir: keys.dir,
      webRoot: join(empty, 'dist'),
      token: TOKEN,
      childScript,
      spareChildren: 0,
    });
    try {
      await bare.app.listen({ host: '127.0.0.1', port: 0 });
      const exchange = await httpGet(bare.app.server, `/?token=${TOKEN}`, { Host: 'localhost' });
      const bareCookie = exchange.cookies[0]?.split(';')[0] ?? '';
      const page = await httpGet(bare.app.server, '/', { Host: 'localhost', Cookie: bareCookie });
      expect(page.status).toBe(503);
      expect(page.text).toContain('not built');
      expect(page.text).toContain('npm run build');
      expect(page.text).toContain('<link rel="stylesheet" href="/_gateway/page.css">');
      expect(page.text).not.toContain('<script');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
