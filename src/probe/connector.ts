import { buildConnector } from 'undici';
import type { RequestSpec } from './request-spec.js';

/**
 * The socket connector both clients build from a request spec: the connect timeout, TLS trust, and
 * HTTP/2 by ALPN on https: or prior knowledge (h2c) on http:.
 */
export function specConnector(spec: RequestSpec): buildConnector.connector {
  return buildConnector({
    timeout: spec.connectTimeoutMs,
    allowH2: spec.http2,
    useH2c: spec.http2 && spec.url.protocol === 'http:',
    rejectUnauthorized: !spec.insecure,
    ...(spec.ca !== null ? { ca: spec.ca } : {}),
  } as buildConnector.BuildOptions);
}
