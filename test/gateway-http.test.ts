/**
 * The gateway's HTTP side and its WebSocket guards, in-process (supertest, and `ws` against
 * an ephemeral port). No mail server is needed: sign-ins here fail before reaching one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_WS_MESSAGE_BYTES } from '../gateway/messages.js';
import { buildGateway, type Gateway } from '../gateway/web/app.js';
import type { GatewayOptions } from '../gateway/web/config.js';
import { Browser, makeWebRoot } from './helpers/gateway.js';
import { makeKeySetup } from './helpers/keys.js';
import { distPath } from './helpers/processes.js';

const TOKEN = 'test-token-0123456789';
const childScript = distPath('gateway/web/session-child.js');

async function started(
  options: Partial<GatewayOptions> & { keysDir: string },
): Promise<{ gateway: Gateway; base: string }> {
  const gateway = await buildGateway({ token: TOKEN, childScript, spareChildren: 0, ...options });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = gateway.app.server.address() as AddressInfo;
  return { gateway, base: `http://127.0.0.1:${port}` };
}

/** The refused upgrade's HTTP status, or 101 when the socket opened. */
function upgradeStatus(base: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
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
      signInLimit: { max: 3, windowMs: 60_000 },
    }));
    const exchange = await request(gateway.app.server)
      .get(`/?token=${TOKEN}`)
      .set('Host', 'localhost:8080');
    cookie = exchange.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
  });

  afterAll(async () => {
    await gateway.close();
    web.cleanup();
    keys.cleanup();
  });

  it('trades the start-up token once for an HttpOnly SameSite=Strict cookie and a redirect to /', async () => {
    const response = await request(gateway.app.server)
      .get(`/?token=${TOKEN}`)
      .set('Host', '127.0.0.1:8080');
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/');
    const setCookie = response.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // The cookie holds a secret of its own, not the token of the URL.
    expect(setCookie).not.toContain(TOKEN);
    expect(cookie).toMatch(/^sealed_mail_gateway=/);
  });

  it('refuses a wrong token and sets no cookie', async () => {
    const response = await request(gateway.app.server)
      .get('/?token=wrong')
      .set('Host', 'localhost');
    expect(response.status).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('serves nothing without the cookie', async () => {
    const page = await request(gateway.app.server).get('/').set('Host', 'localhost');
    expect(page.status).toBe(401);
    const script = await request(gateway.app.server).get('/app.js').set('Host', 'localhost');
    expect(script.status).toBe(401);
  });

  it('serves the UI with a strict CSP and the usual security headers', async () => {
    const page = await request(gateway.app.server)
      .get('/')
      .set('Host', 'localhost:8080')
      .set('Cookie', cookie);
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
    const script = await request(gateway.app.server)
      .get('/app.js')
      .set('Host', 'localhost:8080')
      .set('Cookie', cookie);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['content-security-policy']).toBe(csp);
    const missing = await request(gateway.app.server)
      .get('/nothing-here')
      .set('Host', 'localhost')
      .set('Cookie', cookie);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toBeDefined();
  });

  it('refuses a foreign Host (DNS rebinding), even with the token or the cookie', async () => {
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', '']) {
      const withToken = await request(gateway.app.server).get(`/?token=${TOKEN}`).set('Host', host);
      expect(withToken.status, host).toBe(403);
      expect(withToken.headers['set-cookie']).toBeUndefined();
      const withCookie = await request(gateway.app.server)
        .get('/')
        .set('Host', host)
        .set('Cookie', cookie);
      expect(withCookie.status, host).toBe(403);
    }
    for (const host of ['localhost', '127.0.0.1:9', '[::1]:8080', 'mail.localhost:8080']) {
      const page = await request(gateway.app.server)
        .get('/')
        .set('Host', host)
        .set('Cookie', cookie);
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
    expect(await upgradeStatus(base, { origin: base, cookie: 'sealed_mail_gateway=forged' })).toBe(
      401,
    );
    expect(await upgradeStatus(base, { cookie, origin: base, host: 'evil.example' })).toBe(403);
    expect(await upgradeStatus(base, { cookie, origin: base })).toBe(101);
  });

  it('says hello with the default server, the protocols and the poll interval', async () => {
    const browser = await Browser.open(base, cookie);
    browser.replies.length = 0;
    await browser.close();
    const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, {
      headers: { cookie, origin: base },
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

  it('tells a missing key and an unreachable server apart, and rate-limits sign-ins', async () => {
    const browser = await Browser.open(base, cookie);
    expect(await browser.signIn('client9', 'password9', '127.0.0.1:1')).toMatchObject({
      type: 'error',
      code: 'MISSING_KEY',
    });
    expect(await browser.signIn('client1', 'password1', '127.0.0.1:1')).toMatchObject({
      type: 'error',
      code: 'SERVER_UNREACHABLE',
    });
    expect(await browser.signIn('client2', 'password2', '127.0.0.1:1')).toMatchObject({
      type: 'error',
      code: 'SERVER_UNREACHABLE',
    });
    // The limit (3 a minute here) holds across sockets: a new tab does not reset it.
    const other = await Browser.open(base, cookie);
    expect(await other.signIn('client1', 'password1', '127.0.0.1:1')).toMatchObject({
      type: 'error',
      code: 'RATE_LIMITED',
    });
    await other.close();
    await browser.close();
  });

  it('serves a plain page, with no script, when the UI is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sealed-mail-noui-'));
    const bare = await buildGateway({
      keysDir: keys.dir,
      webRoot: join(empty, 'dist'),
      token: TOKEN,
      childScript,
      spareChildren: 0,
    });
    try {
      await bare.app.ready();
      const exchange = await request(bare.app.server)
        .get(`/?token=${TOKEN}`)
        .set('Host', 'localhost');
      const bareCookie = exchange.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
      const page = await request(bare.app.server)
        .get('/')
        .set('Host', 'localhost')
        .set('Cookie', bareCookie);
      expect(page.status).toBe(503);
      expect(page.text).toContain('not built');
      expect(page.text).not.toContain('<script');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
