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
}

/** The guide's ping operation, sent when the URL ends in `/send_operation` and no body is given. */
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
