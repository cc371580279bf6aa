import type { FieldNamer } from '../model/field-text.js';
import type { FormatOption } from './body-format.js';
import type { ReportTarget } from '../model/report.js';
import type { ServerTimeSpec } from './server-time.js';
import type { StreamChecks } from './stream-integrity.js';

/** Everything one bench request needs; the CLI builds it from flags (see build-request-spec.ts). */
export interface RequestSpec {
  url: URL;
  method: string;
  /** Final request headers, lower-case names. */
  headers: Record<string, string>;
  body: string | Buffer | null;
  format: FormatOption;
  maxEventBytes: number;
  serverTime: ServerTimeSpec;
  http2: boolean;
  insecure: boolean;
  ca: Buffer | null;
  keepAlive: boolean;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  /** How messages kept in records name an option (field names unless the CLI passes flag names). */
  names?: FieldNamer;
  /** Stream integrity: strict or counted, and the heartbeat interval when known (absent: counted, no heartbeat check). */
  streamChecks?: StreamChecks;
  /** ws:// and wss:// only: offer permessage-deflate (RFC 7692), as browsers do; serve decides (--ws-deflate). */
  wsDeflate?: boolean;
}

/** True for ws:// and wss:// targets: serve's GET /ws, measured by ws-stream-client.ts. */
export function isWebSocketUrl(url: URL): boolean {
  return url.protocol === 'ws:' || url.protocol === 'wss:';
}

/** The HTTP origin of a target, for /healthz and /metrics beside a ws:// or wss:// endpoint. */
export function httpUrl(path: string, url: URL): URL {
  const u = new URL(path, url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  return u;
}

/**
 * True for our own ping endpoint: `POST …/send_operation`, or serve's GET /ws (a ws:// or wss://
 * URL), which takes the same envelope as a message (docs/protocol.md, "WebSocket"). Without a body,
 * such a URL gets the guide's ping operation (bench) or doctor's and compare's own workload.
 */
export function isPingEndpoint(url: URL): boolean {
  return isWebSocketUrl(url) || url.pathname.endsWith('/send_operation');
}

/** The guide's ping operation, sent to a ping endpoint (`isPingEndpoint`) when no body is given. */
export const GUIDE_PING_BODY = JSON.stringify({
  notebook_id: 'n1',
  operation: { type: 'ping', count: 50, interval_ms: 20, first_delay_ms: 0, token: 'tok ' },
  lang: 'en',
});

/**
 * Default headers of a browser's EventSource/fetch: proxies compress (and so buffer) a stream only
 * when the client asks for it, so we ask as a browser does. Node 20's zlib has no zstd.
 */
export function defaultHeaders(format: FormatOption): Record<string, string> {
  return {
    accept: format === 'ndjson' ? 'application/x-ndjson' : 'text/event-stream',
    'accept-encoding': 'gzip, deflate, br',
    'cache-control': 'no-cache',
  };
}

/** A report's target for this request, before any response (summarizeRun fills in what the responses said). */
export function reportTarget(spec: RequestSpec, embeddedServer: ReportTarget['embedded_server'] = null): ReportTarget {
  return {
    url: spec.url.href,
    method: spec.method,
    http_version: spec.http2 ? '2' : '1.1',
    keep_alive: spec.keepAlive,
    format: spec.format,
    parsed_as: [],
    content_type: null,
    content_encoding: null,
    accept_encoding: spec.headers['accept-encoding'] ?? null,
    embedded_server: embeddedServer,
  };
}
