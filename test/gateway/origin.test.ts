/**
 * Who may open the gateway's WebSocket: only a page of the gateway's own origin, and only with
 * a page secret it fetched from `GET /session`. The attacker is a page served from another port
 * of 127.0.0.1: the browser sends it the gateway's cookie (cookies ignore ports), but its Origin
 * is its own and it cannot read the gateway's responses. A real gateway on a real port, with a
 * real mail server behind it.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsCloseCode } from '../../gateway/messages.js';
import { buildGateway, type Gateway } from '../../gateway/web-bridge/app.js';
import { Browser, httpGet, makeWebRoot, pageSecret, upgradeStatus } from '../helpers/gateway.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const TOKEN = 'origin-test-token-0123456789';
const SECRET_TTL_MS = 60_000;

/** Path spellings of /ws that a router might take as /ws. */
const ROUTED_SPELLINGS = ['/ws', '/%77s', '/w%73', '/%77%73', '/ws?x=1', '/%77s?x=1'];
const OTHER_SPELLINGS = ['//ws', '/ws/', '/WS', '/%57%53', '/ws%2f', '/ws;x', '/%2577s'];

describe('the gateway WebSocket against pages of other origins', () => {
  let keys: { dir: string; cleanup: () => void };
  let web: { dir: string; cleanup: () => void };
  let server: RunningServer;
  let gateway: Gateway;
  let base: string;
  let wsBase: string;
  let cookie: string;
  let foreignOrigin: string;
  let clock = 1_000_000;

  beforeAll(async () => {
    keys = await makeKeySetup(['client1', 'client2']);
    web = makeWebRoot();
    server = await startMailServer(serverHome(keys.dir));
    gateway = await buildGateway({
      keysDir: keys.dir,
      webRoot: web.dir,
      token: TOKEN,
      childScript: distPath('gateway/web-bridge/session-child.js'),
      spareChildren: 0,
      servers: { classic: [{ host: '127.0.0.1', port: server.port }] },
      authTimeoutMs: 1500,
      maxPageSecrets: 8,
      now: () => clock,
    });
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = gateway.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    wsBase = `ws://127.0.0.1:${port}`;
    // The attacker's page: another port of the same address, so the same site.
    foreignOrigin = `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}`;
    const exchange = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    cookie = exchange.headers.get('set-cookie')?.split(';')[0] ?? '';
  });

  afterAll(async () => {
    await gateway.close();
    await server.stop();
    web.cleanup();
    keys.cleanup();
  });

  it('names its cookie after its port: two gateways on one machine keep their own', () => {
    const { port } = gateway.app.server.address() as AddressInfo;
    expect(cookie).toMatch(new RegExp(`^sealed_mail_gateway_${port}=`));
  });

  it('refuses an upgrade from another origin at every spelling of /ws the router takes', async () => {
    const outcomes: Record<string, number> = {};
    for (const path of [...ROUTED_SPELLINGS, ...OTHER_SPELLINGS])
      outcomes[path] = await upgradeStatus(`${wsBase}${path}`, { cookie, origin: foreignOrigin });
    expect(outcomes).toEqual({
      ...Object.fromEntries(ROUTED_SPELLINGS.map((path) => [path, 403])),
      // Not the socket's route at all: no upgrade there, whatever the Origin.
      ...Object.fromEntries(OTHER_SPELLINGS.map((path) => [path, 404])),
    });
    // Without an Origin, with another scheme, or with the gateway's other name: refused too.
    for (const origin of [undefined, base.replace('http:', 'https:'), 'null', 'http://localhost']) {
      const headers: Record<string, string> = { cookie };
      if (origin !== undefined) headers.origin = origin;
      expect(await upgradeStatus(`${wsBase}/%77s`, headers), origin).toBe(403);
    }
  });

  it('a page on another port cannot sign in as client1 through /%77s and read its mail', async () => {
    const stolen = await Browser.connect(base, { cookie, origin: foreignOrigin }, '/%77s').then(
      async (tab) => {
        const signIn = await tab.signIn('client1');
        const inbox = await tab.request({ type: 'listInbox' });
        await tab.close();
        return { signIn: signIn.type, inbox: inbox.type };
      },
      (error: unknown) => (error as Error).message,
    );
    expect(stolen).toEqual(expect.stringMatching(/Unexpected server response: 403/));
  });

  it('hands a page secret only to a same-origin request with the cookie, in JSON without CORS', async () => {
    const ok = await httpGet(gateway.app.server, '/session', {
      Host: new URL(base).host,
      Cookie: cookie,
      'Sec-Fetch-Site': 'same-origin',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^application\/json/);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    expect((ok.json() as { secret: string }).secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const refusals = [
      { headers: { 'Sec-Fetch-Site': 'same-origin' }, status: 401, error: 'cookie' },
      {
        headers: { Cookie: `${cookie.split('=')[0] ?? ''}=stale`, 'Sec-Fetch-Site': 'same-origin' },
        status: 401,
        error: 'cookie',
      },
      { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-site' }, status: 403, error: 'origin' },
      { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' }, status: 403, error: 'origin' },
      { headers: { Cookie: cookie, Origin: foreignOrigin }, status: 403, error: 'origin' },
      { headers: { Cookie: cookie, Host: 'evil.example' }, status: 403, error: 'host' },
    ];
    for (const { headers, status, error } of refusals) {
      const response = await httpGet(gateway.app.server, '/session', {
        Host: new URL(base).host,
        ...headers,
      });
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toMatchObject({ error, message: expect.any(String) as string });
      expect(response.json()).not.toHaveProperty('secret');
    }
  });

  it('closes a socket with 4401 and says nothing when its first message is not a good secret', async () => {
    const headers = { cookie, origin: base };
    const attempts: { first: () => Promise<string>; what: string }[] = [
      { what: 'a request instead', first: () => Promise.resolve('{"type":"listInbox","id":1}') },
      { what: 'a made-up secret', first: () => Promise.resolve(authenticate('x'.repeat(43))) },
      { what: 'not JSON', first: () => Promise.resolve('hello') },
      {
        what: 'a used secret',
        first: async () => {
          const secret = await pageSecret(base, cookie);
          const owner = await Browser.connect(base, headers);
          owner.socket.send(authenticate(secret));
          await owner.event('hello');
          await owner.close();
          return authenticate(secret);
        },
      },
      {
        what: 'an expired secret',
        first: async () => {
          const secret = await pageSecret(base, cookie);
          clock += SECRET_TTL_MS + 1;
          return authenticate(secret);
        },
      },
    ];
    for (const { what, first } of attempts) {
      const message = await first();
      const tab = await Browser.connect(base, headers);
      tab.socket.send(message);
      // A sign-in right behind it, in the same burst, must not be served either.
      tab.socket.send(
        JSON.stringify({
          type: 'signIn',
          id: 2,
          server: '',
          username: 'client1',
          password: 'password1',
          protocol: 'classic',
        }),
      );
      expect((await tab.closed).code, what).toBe(WsCloseCode.unauthenticated);
      expect(tab.replies, what).toEqual([]);
    }
    expect(gateway.childPids()).toEqual([]);
  });

  it('closes a socket that sends nothing with 4401, without a hello', async () => {
    const tab = await Browser.connect(base, { cookie, origin: base });
    expect((await tab.closed).code).toBe(WsCloseCode.unauthenticated);
    expect(tab.replies).toEqual([]);
  });

  it('serves a socket that presents a fresh secret first, at any spelling of its route', async () => {
    for (const path of ['/ws', '/%77s']) {
      const secret = await pageSecret(base, cookie);
      const tab = await Browser.connect(base, { cookie, origin: base }, path);
      tab.socket.send(authenticate(secret));
      expect(await tab.event('hello')).toMatchObject({ type: 'hello' });
      expect(await tab.signIn('client1')).toMatchObject({ type: 'signedIn' });
      // One browser (one cookie) has one session: signed out for the next spelling.
      await tab.request({ type: 'signOut' });
      await tab.close();
    }
  });

  it('keeps a bounded number of unused secrets; the newest still work', async () => {
    const secrets: string[] = [];
    for (let i = 0; i < 10; i++) secrets.push(await pageSecret(base, cookie));
    const oldest = await Browser.connect(base, { cookie, origin: base });
    oldest.socket.send(authenticate(secrets[0] ?? ''));
    expect((await oldest.closed).code).toBe(WsCloseCode.unauthenticated);
    const newest = await Browser.connect(base, { cookie, origin: base });
    newest.socket.send(authenticate(secrets.at(-1) ?? ''));
    expect(await newest.event('hello')).toMatchObject({ type: 'hello' });
    await newest.close();
  });
});

const authenticate = (secret: string): string => JSON.stringify({ type: 'authenticate', secret });
