/**
 * The admin HTTP port (--admin-listen, 127.0.0.1 unless an address is given): `/healthz`
 * (the process answers), `/readyz` (it can serve a client now: 200, or 503 with the reason)
 * and `/metrics` (Prometheus text). As Stalwart's `/healthz/live`, `/healthz/ready` and
 * `/metrics/prometheus`. Nothing here changes anything, and nothing is secret, but it is
 * meant for the host's monitoring, not the world: give a public address only behind a firewall.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  /** Why not, in a few words; absent when ready. */
  reason?: string;
}

export interface AdminRoutes {
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ contentType: string; text: string }>;
}

export interface AdminAddress {
  host: string;
  port: number;
}

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`; a bare port listens on 127.0.0.1. Throws with what is wrong. */
export function parseAdminAddress(text: string): AdminAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new Error('expected PORT or HOST:PORT (e.g. 9130 or 127.0.0.1:9130), a port up to 65535');
  const host = match[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1';
  return { host, port };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

const json = (response: ServerResponse, status: number, body: object): void => {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
};

export class AdminHttp {
  readonly #server: Server;
  readonly #routes: AdminRoutes;
  /** One readiness check at a time: scrapes that come together share its answer. */
  #checking: Promise<Readiness> | undefined;

  constructor(routes: AdminRoutes, onError: (error: Error) => void) {
    this.#routes = routes;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        onError(error as Error);
        if (!response.headersSent) json(response, 500, { status: 'error' });
        else response.destroy();
      });
    });
    // A monitor asks and goes: a slow or idle client is not kept.
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5000;
    this.#server.keepAliveTimeout = 5000;
    this.#server.maxHeadersCount = 50;
  }

  listen(address: AdminAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(address.port, address.host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
      this.#server.closeAllConnections();
    });
  }

  #readiness(): Promise<Readiness> {
    this.#checking ??= this.#routes.readiness().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      json(response, 405, { status: 'method not allowed' });
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      json(response, 200, { status: 'alive' });
    } else if (path === '/readyz') {
      const { ready, reason } = await this.#readiness();
      json(
        response,
        ready ? 200 : 503,
        ready ? { status: 'ready' } : { status: 'not ready', reason },
      );
    } else if (path === '/metrics') {
      const { contentType, text } = await this.#routes.metrics();
      send(response, 200, contentType, text);
    } else {
      json(response, 404, { status: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
    }
  }
}
