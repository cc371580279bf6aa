import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackHost } from '../model/hosts.js';

/**
 * Who may talk to the server. Later sources run code (Jupyter) and spend API money (LLM), so:
 * - on a non-loopback address, `serve` refuses to start without a token or --insecure-no-auth;
 * - with a token, every request but GET /healthz needs `Authorization: Bearer TOKEN`;
 * - without a token, the `Host` header must name this machine: a web page on another origin that
 *   resolves its own name to 127.0.0.1 (DNS rebinding) must not drive a local kernel server.
 *   Jupyter Server guards the same way (`ServerApp.allow_remote_access`).
 */
export interface AccessOptions {
  token?: string;
  /** Extra Host names (without port) accepted when no token is configured. */
  allowedHosts?: readonly string[];
  /** The address the server is bound to. */
  boundHost: string;
}


/** Host header → hostname without port (IPv6 keeps no brackets). */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon > 0 && h.indexOf(':') === colon) return h.slice(0, colon);
  return h;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class AccessGuard {
  private readonly tokenDigest: Buffer | null;
  private readonly allowed: Set<string>;

  constructor(opts: AccessOptions) {
    this.tokenDigest = opts.token === undefined ? null : digest(opts.token);
    this.allowed = new Set((opts.allowedHosts ?? []).map((h) => hostnameOf(h)));
    const bound = opts.boundHost.replace(/^\[|\]$/g, '').toLowerCase();
    if (bound !== '0.0.0.0' && bound !== '::') this.allowed.add(bound);
  }

  get hasToken(): boolean {
    return this.tokenDigest !== null;
  }

  /**
   * Constant-time check of `Authorization: Bearer …` (RFC 6750 §2.1). Both sides are hashed first
   * so the comparison does not leak the token's length either.
   */
  tokenMatches(authorization: string | undefined): boolean {
    if (this.tokenDigest === null) return true;
    if (authorization === undefined) return false;
    const m = /^Bearer[ ]+(.+)$/i.exec(authorization.trim());
    if (m === null) return false;
    return timingSafeEqual(digest((m[1] as string).trim()), this.tokenDigest);
  }

  hostAllowed(hostHeader: string | undefined): boolean {
    if (this.tokenDigest !== null) return true;
    if (hostHeader === undefined || hostHeader === '') return false;
    const name = hostnameOf(hostHeader);
    return isLoopbackHost(name) || this.allowed.has(name);
  }
}

/** CORS for the listed origins only; credentials only when asked (--cors-credentials). */
export interface CorsOptions {
  origins: readonly string[];
  credentials: boolean;
}

export const CORS_ALLOW_HEADERS = 'accept, authorization, cache-control, content-type, last-event-id, x-nbs-flush-policy';

export function corsHeaders(origin: string | undefined, cors: CorsOptions): Record<string, string> | null {
  if (origin === undefined || !cors.origins.includes(origin)) return null;
  const h: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (cors.credentials) h['access-control-allow-credentials'] = 'true';
  return h;
}

export { isLoopbackHost };
