import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import { FIXES } from './fix-snippets.js';
import { headerOf } from './response-capture.js';
import type { Fix } from '../model/fix.js';
import type { Finding, Intermediary, Outcome, Severity } from '../model/header-findings.js';

/** What one streaming request saw. Times in ms from the request start. */
export interface HeaderObservation {
  url: string;
  /** Negotiated protocol: '1.1' or '2'; null when no connection was made. */
  httpVersion: '1.1' | '2' | null;
  /** The status line's version on HTTP/1.x (`HTTP/1.0`, `HTTP/1.1`), when seen. */
  statusLineVersion: string | null;
  status: number | null;
  headers: Array<[string, string]>;
  error: { kind: string; message: string } | null;
  headersMs: number | null;
  firstEventMs: number | null;
  endMs: number;
  /** Arrival of each event, and of each body chunk (heartbeats included), ms. */
  eventMs: number[];
  chunkMs: number[];
  /** SSE comments / NDJSON blank lines seen. */
  heartbeats: number;
  /** Idle window for the heartbeat rule, s. */
  idleWindowS: number;
  /** The same request straight to the backend (`--direct URL`), when given. */
  direct: HeaderObservation | null;
}

/** Headers must precede the first event by at least this much when the first event is late. */
export const HEADERS_EARLY_MS = 10;
/** Headers are judged only when the first event comes at least this long after the request. */
export const HEADERS_JUDGED_AFTER_MS = 100;

const SSE_TYPES = ['text/event-stream'];
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq'];

function finding(id: string, severity: Severity, outcome: Outcome, seen: string, why: string, fix: Fix | null = null): Finding {
  return { id, severity, outcome, seen, why, fix };
}

export function recogniseIntermediaries(headers: ReadonlyArray<readonly [string, string]>): Intermediary[] {
  const h = (n: string) => headerOf(headers, n);
  const server = (h('server') ?? '').toLowerCase();
  const via = (h('via') ?? '').toLowerCase();
  const out: Intermediary[] = [];
  const add = (name: string, evidence: string, knob: string) => out.push({ name, evidence, knob });
  if (server.startsWith('nginx') || server.startsWith('openresty') || server.includes('tengine')) {
    add('nginx', `Server: ${h('server')}`, 'proxy_buffering off (or X-Accel-Buffering: no from the backend), gzip off, proxy_http_version 1.1 (nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering)');
  }
  if (h('cf-ray') !== null || server === 'cloudflare') {
    add('Cloudflare', h('cf-ray') !== null ? `CF-Ray: ${h('cf-ray')}` : 'Server: cloudflare', 'compression follows the content type unless Cache-Control: no-transform; keep the route uncached (Cache Rules: bypass)');
  }
  if (h('x-amz-cf-id') !== null || via.includes('cloudfront')) {
    add('Amazon CloudFront', h('x-amz-cf-id') !== null ? 'X-Amz-Cf-Id' : `Via: ${h('via')}`, 'the cache behavior\'s "Compress objects automatically" (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html) and its caching policy');
  }
  if (server === 'envoy' || h('x-envoy-upstream-service-time') !== null) {
    add('Envoy', server === 'envoy' ? 'Server: envoy' : 'X-Envoy-Upstream-Service-Time', 'no buffer or compressor filter on the route (envoy.filters.http.buffer / compressor buffer whole bodies; envoyproxy.io docs, "flow control")');
  }
  if (h('x-vercel-id') !== null || server === 'vercel') {
    add('Vercel', h('x-vercel-id') !== null ? `X-Vercel-Id: ${h('x-vercel-id')}` : 'Server: Vercel', 'return a streaming Response from a streaming function (vercel.com/docs/functions/streaming); no Content-Length');
  }
  if (server.startsWith('caddy')) {
    add('Caddy', `Server: ${h('server')}`, 'reverse_proxy { flush_interval -1 } (caddyserver.com/docs/caddyfile/directives/reverse_proxy#flush_interval; text/event-stream flushes at once)');
  }
  if (server.startsWith('apache')) {
    add('Apache httpd', `Server: ${h('server')}`, 'ProxyPass … flushpackets=on, and no mod_deflate on the stream (httpd.apache.org/docs/current/mod/mod_proxy.html)');
  }
  if (h('x-varnish') !== null || via.includes('varnish')) {
    add('Varnish', h('x-varnish') !== null ? 'X-Varnish' : `Via: ${h('via')}`, 'set beresp.do_stream = true; and pass (no caching) for the stream (docs.varnish-software.com/book/http/content-streaming)');
  }
  return out;
}

function mediaType(ct: string): { type: string; charset: string | null } {
  const [type, ...params] = ct.split(';');
  let charset: string | null = null;
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v !== undefined) charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { type: (type ?? '').trim().toLowerCase(), charset };
}

/** HTTP/2 stream reset with PROTOCOL_ERROR, the way undici / nghttp2 report it. */
export function isH2ProtocolReset(error: { kind: string; message: string } | null): boolean {
  if (error === null) return false;
  if (error.kind !== 'protocol' && error.kind !== 'reset') return false;
  return /PROTOCOL_ERROR|error code 1\b|code 1\)|RST_STREAM.*\b1\b/i.test(error.message);
}

/** Every rule, in the order the table shows them. */
export function checkHeaderRules(o: HeaderObservation, names: FieldNamer = byFieldName): Finding[] {
  const direct = names(field('direct'));
  const out: Finding[] = [];
  const h = (n: string) => headerOf(o.headers, n);
  const proxies = recogniseIntermediaries(o.headers);

  // HTTP/2 reset first: with it there may be no status and no headers to judge.
  if (o.httpVersion === '2') {
    const early = o.status === null || o.firstEventMs === null;
    if (isH2ProtocolReset(o.error) && early) {
      out.push(
        finding(
          'h2-connection-header',
          'error',
          'fail',
          `HTTP/2 stream reset right after the response headers: ${o.error!.message}`,
          'RFC 9113 §8.2.2: a response carrying Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding or Upgrade is malformed, and clients reset the stream with PROTOCOL_ERROR (browsers show ERR_HTTP2_PROTOCOL_ERROR). The header never reaches the client, so this is inferred from the reset; the guide\'s backend sets Connection: keep-alive.',
          FIXES.noConnectionHeadersH2,
        ),
      );
    } else {
      out.push(finding('h2-connection-header', 'error', 'pass', 'HTTP/2 response accepted (no stream reset)', 'RFC 9113 §8.2.2 forbids connection-specific headers on HTTP/2.'));
    }
  }

  if (o.status === null) {
    out.push(finding('status-200', 'error', 'fail', `no response${o.error !== null ? ` (${o.error.kind}: ${o.error.message})` : ''}`, 'nothing to judge without a response', null));
    return out;
  }
  out.push(
    o.status === 200
      ? finding('status-200', 'error', 'pass', 'HTTP 200', 'an EventSource accepts only 200 (WHATWG HTML §9.2 "Server-sent events")')
      : finding('status-200', 'error', 'fail', `HTTP ${o.status}`, 'an EventSource fails the connection on any status other than 200 (WHATWG HTML §9.2); fetch readers stop too', null),
  );

  const ct = h('content-type');
  const mt = mediaType(ct ?? '');
  const isSse = SSE_TYPES.includes(mt.type);
  const isNdjson = NDJSON_TYPES.includes(mt.type);
  out.push(
    isSse || isNdjson
      ? finding('content-type', 'error', 'pass', `Content-Type: ${ct}`, 'event streams are text/event-stream (WHATWG HTML §9.2) or NDJSON')
      : finding(
          'content-type',
          'error',
          'fail',
          ct === null ? 'no Content-Type' : `Content-Type: ${ct}`,
          'EventSource requires text/event-stream; proxies and CDNs stream that type and compress or buffer text/plain and text/html (the guide\'s old backend sent text/plain)',
          FIXES.contentType,
        ),
  );
  if (mt.charset !== null && mt.charset !== 'utf-8' && mt.charset !== 'utf8') {
    out.push(finding('charset', 'warn', 'fail', `charset=${mt.charset}`, 'SSE is always UTF-8 (WHATWG HTML §9.2.5): another charset is ignored or mis-decoded', FIXES.contentType));
  } else {
    out.push(finding('charset', 'warn', 'pass', mt.charset === null ? 'no charset (UTF-8 implied)' : `charset=${mt.charset}`, 'SSE is always UTF-8 (WHATWG HTML §9.2.5)'));
  }

  const cl = h('content-length');
  out.push(
    cl === null
      ? finding('content-length', 'error', 'pass', 'no Content-Length', 'a stream has no length in advance (RFC 9112 §6: chunked or close-delimited)')
      : finding('content-length', 'error', 'fail', `Content-Length: ${cl}`, 'a length means the body was complete before it was sent: something buffered the whole stream (RFC 9110 §8.6)', FIXES.noContentLength),
  );

  const cc = (h('cache-control') ?? '').toLowerCase();
  const dirs = new Set(cc.split(',').map((d) => d.trim().split('=')[0]!));
  out.push(
    dirs.has('no-cache')
      ? finding('cache-control-no-cache', 'error', 'pass', `Cache-Control: ${h('cache-control')}`, 'RFC 9111 §5.2.2.4: caches must revalidate, so no cache replays a recorded stream')
      : finding(
          'cache-control-no-cache',
          'error',
          'fail',
          cc === '' ? 'no Cache-Control' : `Cache-Control: ${h('cache-control')}`,
          'without no-cache a CDN may cache the stream and replay it whole to later clients (RFC 9111 §5.2.2.4; CDNs apply their default TTL)',
          FIXES.cacheControl,
        ),
  );
  out.push(
    dirs.has('no-transform')
      ? finding('cache-control-no-transform', 'warn', 'pass', 'no-transform present', 'RFC 9111 §5.2.2.6: intermediaries must not transform (compress) the content')
      : finding(
          'cache-control-no-transform',
          'warn',
          'fail',
          'no no-transform in Cache-Control',
          'RFC 9111 §5.2.2.6: without no-transform a proxy or CDN may compress the body, and a compressor buffers until its block fills',
          FIXES.cacheControl,
        ),
  );
  out.push(
    dirs.has('no-store')
      ? finding('cache-control-no-store', 'info', 'pass', 'no-store present', 'RFC 9111 §5.2.2.5: nothing stores the stream')
      : finding('cache-control-no-store', 'info', 'fail', 'no no-store in Cache-Control', 'recommended: RFC 9111 §5.2.2.5 keeps the stream out of every cache', FIXES.cacheControl),
  );
  const pragma = h('pragma');
  const expires = h('expires');
  if (pragma !== null || expires !== null) {
    out.push(
      finding(
        'pragma-expires',
        'info',
        'note',
        [pragma !== null ? `Pragma: ${pragma}` : '', expires !== null ? `Expires: ${expires}` : ''].filter((s) => s !== '').join(', '),
        'obsolete: Pragma is deprecated (RFC 9111 §5.4) and Expires is ignored when Cache-Control has max-age/no-cache (§5.3); harmless',
      ),
    );
  }

  const ce = h('content-encoding');
  out.push(
    ce === null || ce.trim().toLowerCase() === 'identity'
      ? finding('content-encoding', 'warn', 'pass', 'no Content-Encoding', 'an uncompressed stream cannot be held by a compressor')
      : finding(
          'content-encoding',
          'warn',
          'fail',
          `Content-Encoding: ${ce}`,
          'a compressor holds output until its block fills unless it is flushed after every event (zlib Z_SYNC_FLUSH); nginx gzip with proxy_buffering on delivers the whole stream at the end (docs/troubleshooting.md)',
          FIXES.gzipOff,
        ),
  );

  // X-Accel-Buffering: judged on the backend's own response.
  const xab = (o.direct !== null ? headerOf(o.direct.headers, 'x-accel-buffering') : h('x-accel-buffering'))?.trim().toLowerCase() ?? null;
  const nginxSeen = proxies.some((p) => p.name === 'nginx');
  if (o.direct !== null) {
    out.push(
      xab === 'no'
        ? finding('x-accel-buffering', 'warn', 'pass', `backend (${direct}) sends X-Accel-Buffering: no`, 'nginx does not buffer a response whose upstream says X-Accel-Buffering: no (nginx proxy module docs), unless proxy_ignore_headers drops it')
        : finding(
            'x-accel-buffering',
            'warn',
            'fail',
            xab === null ? `backend (${direct}) sends no X-Accel-Buffering` : `backend (${direct}) sends X-Accel-Buffering: ${xab}`,
            'with it an nginx in front stops buffering this response even where proxy_buffering is on (nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering)',
            FIXES.xAccelBuffering,
          ),
    );
  } else if (xab === 'no') {
    out.push(finding('x-accel-buffering', 'warn', 'pass', 'X-Accel-Buffering: no', 'seen on the response, so no nginx consumed it on the way: the backend asks not to be buffered'));
  } else if (xab !== null) {
    out.push(finding('x-accel-buffering', 'warn', 'fail', `X-Accel-Buffering: ${xab}`, 'asks nginx to buffer the response', FIXES.xAccelBuffering));
  } else {
    out.push(
      finding(
        'x-accel-buffering',
        'warn',
        'skip',
        'no X-Accel-Buffering' + (nginxSeen ? ' (nginx in front)' : ''),
        `nginx consumes X-Accel-Buffering and never forwards it, so its absence through a proxy proves nothing: rerun with ${direct} BACKEND_URL to judge the backend`,
      ),
    );
  }

  // HTTP/1.x: the connection.
  if (o.httpVersion !== '2') {
    if (o.statusLineVersion === 'HTTP/1.0') {
      out.push(
        finding(
          'http-1.0',
          'error',
          'fail',
          'status line HTTP/1.0',
          'HTTP/1.0 has no chunked encoding: the body ends only when the connection closes, and proxies speaking 1.0 buffer it (RFC 9112 §6.3; nginx proxies with HTTP/1.0 unless proxy_http_version 1.1)',
          FIXES.proxyHttp11,
        ),
      );
    } else if (o.statusLineVersion !== null) {
      out.push(finding('http-1.0', 'error', 'pass', o.statusLineVersion, 'HTTP/1.1: chunked transfer encoding, persistent connections'));
    }
    const conn = (h('connection') ?? '').toLowerCase();
    out.push(
      conn.split(',').map((s) => s.trim()).includes('close')
        ? finding('connection-close', 'warn', 'fail', `Connection: ${h('connection')}`, 'the server closes the connection after the stream: every reconnect (EventSource retries) pays a new TCP/TLS handshake (RFC 9112 §9.6)', FIXES.keepAliveHttp11)
        : finding('connection-close', 'warn', 'pass', conn === '' ? 'no Connection header (persistent by default)' : `Connection: ${h('connection')}`, 'persistent connection (RFC 9112 §9.3)'),
    );
  }

  // Headers withheld until the first event.
  if (o.firstEventMs !== null && o.headersMs !== null && o.firstEventMs >= HEADERS_JUDGED_AFTER_MS) {
    const gap = o.firstEventMs - o.headersMs;
    out.push(
      gap < HEADERS_EARLY_MS
        ? finding(
            'headers-withheld',
            'warn',
            'fail',
            `headers at ${o.headersMs.toFixed(0)} ms, first event at ${o.firstEventMs.toFixed(0)} ms`,
            'the headers came with the first event: until then a client cannot tell a slow backend from a dead one, and a buffer held both (a server that writes headers lazily, or a proxy buffering the whole response)',
            FIXES.headersEarly,
          )
        : finding('headers-withheld', 'warn', 'pass', `headers at ${o.headersMs.toFixed(0)} ms, first event at ${o.firstEventMs.toFixed(0)} ms`, 'headers went out before the first event'),
    );
  } else {
    out.push(finding('headers-withheld', 'warn', 'skip', o.firstEventMs === null ? 'no event arrived' : `first event at ${o.firstEventMs.toFixed(0)} ms`, `judged only when the first event comes ≥ ${HEADERS_JUDGED_AFTER_MS} ms after the request`));
  }

  out.push(heartbeatRule(o, names));

  for (const p of proxies) out.push(finding('intermediary', 'info', 'note', `${p.name} (${p.evidence})`, `buffering knob: ${p.knob}`));
  return out;
}

/** A silence in words: ms below a second (a 20 ms gap once read "0.0 s", issue 32), else s. */
function span(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function heartbeatRule(o: HeaderObservation, names: FieldNamer): Finding {
  const windowMs = o.idleWindowS * 1000;
  const start = o.headersMs ?? 0;
  const events = [start, ...o.eventMs, o.endMs].sort((a, b) => a - b);
  let idle = 0;
  for (let i = 1; i < events.length; i++) idle = Math.max(idle, events[i]! - events[i - 1]!);
  if (o.endMs - start < windowMs || idle < windowMs) {
    return finding('heartbeat', 'warn', 'skip', `longest silence between events ${span(idle)}`, `judged only on a stream idle for ≥ ${o.idleWindowS} s (${names(field('idleWindowS'))})`);
  }
  const bytes = [start, ...o.chunkMs, o.endMs].sort((a, b) => a - b);
  let silent = 0;
  for (let i = 1; i < bytes.length; i++) silent = Math.max(silent, bytes[i]! - bytes[i - 1]!);
  return silent >= windowMs
    ? finding(
        'heartbeat',
        'warn',
        'fail',
        `no bytes for ${span(silent)} while idle`,
        'idle connections are closed by proxies (nginx proxy_read_timeout 60 s) and load balancers; an SSE comment every 15 s keeps them open (WHATWG HTML §9.2.7)',
        FIXES.heartbeat,
      )
    : finding('heartbeat', 'warn', 'pass', `${o.heartbeats} heartbeat(s) during ${span(idle)} without events`, 'the connection stayed busy while idle');
}

/** Error-level failures, and warnings too with --strict: what makes check-headers exit 1. */
export function failingFindings(findings: readonly Finding[], strict: boolean): Finding[] {
  return findings.filter((f) => f.outcome === 'fail' && (f.severity === 'error' || (strict && f.severity === 'warn')));
}
