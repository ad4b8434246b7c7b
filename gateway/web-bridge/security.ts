/**
 * Localhost defences (after Jupyter Server, Proton Mail Bridge and Vite's fix for CVE-2025-24010):
 * a Host allow-list against DNS rebinding, a same-origin check on the WebSocket upgrade against
 * cross-site WebSocket hijacking, a start-up token traded for a cookie, and strict headers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Names that always mean this machine. */
const LOCAL_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The host name of a Host header (or of an origin's authority), lower-case, without the port. */
export function hostnameOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  return match?.[1];
}

export class HostAllowList {
  readonly #names: Set<string>;

  /** `extra`: the address the gateway listens on and names given with --allow-host. */
  constructor(extra: readonly string[] = []) {
    const names = extra.map((name) =>
      (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name).toLowerCase(),
    );
    this.#names = new Set([...LOCAL_HOSTNAMES, ...names]);
    // Listening on every interface says nothing about the names it is reached by.
    this.#names.delete('0.0.0.0');
    this.#names.delete('[::]');
  }

  allows(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return false;
    const name = hostnameOf(hostHeader);
    if (name === undefined) return false;
    // *.localhost resolves to loopback by RFC 6761, and browsers treat it so.
    return this.#names.has(name) || name.endsWith('.localhost');
  }
}

/** A browser's WebSocket to the gateway carries the gateway's own origin; any other page's is refused. */
export function isSameOrigin(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined || hostHeader === undefined) return false;
  return origin.toLowerCase() === `http://${hostHeader.toLowerCase()}`;
}

export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Compares secrets in constant time, whatever their lengths. */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Headers for every response. `hostHeader` has passed the allow-list, so it is safe to echo in
 * connect-src (CSP 2 browsers do not let 'self' cover ws:).
 */
export function securityHeaders(hostHeader: string | undefined): Record<string, string> {
  const connect = hostHeader === undefined ? "'self'" : `'self' ws://${hostHeader}`;
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src ${connect}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // The sign-in URL carries the token: never let it leave in a Referer.
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}
