import type { Fix } from '../model/fix.js';

const STREAM_HEADERS_FASTIFY =
  "reply.raw.writeHead(200, {\n  'content-type': 'text/event-stream; charset=utf-8',\n  'cache-control': 'no-cache, no-store, no-transform',\n  'x-accel-buffering': 'no',\n});\nreply.raw.flushHeaders(); // headers now, not with the first event";
const STREAM_HEADERS_EXPRESS =
  "res.set({\n  'Content-Type': 'text/event-stream; charset=utf-8',\n  'Cache-Control': 'no-cache, no-store, no-transform',\n  'X-Accel-Buffering': 'no',\n});\nres.flushHeaders(); // headers now, not with the first event";
const STREAM_HEADERS_STARLETTE =
  'return StreamingResponse(gen(), media_type="text/event-stream",\n    headers={"Cache-Control": "no-cache, no-store, no-transform",\n             "X-Accel-Buffering": "no"})';

export const FIXES = {
  streamHeaders: {
    id: 'stream-headers',
    title: 'send the streaming headers from the backend',
    snippets: { fastify: STREAM_HEADERS_FASTIFY, express: STREAM_HEADERS_EXPRESS, starlette: STREAM_HEADERS_STARLETTE },
  },
  contentType: {
    id: 'content-type',
    title: 'serve the stream as text/event-stream (or application/x-ndjson), charset utf-8',
    snippets: {
      fastify: "reply.raw.setHeader('content-type', 'text/event-stream; charset=utf-8');",
      express: "res.type('text/event-stream; charset=utf-8');",
      starlette: 'StreamingResponse(gen(), media_type="text/event-stream")  # not text/plain',
    },
  },
  noContentLength: {
    id: 'no-content-length',
    title: 'do not set Content-Length on a stream (chunked on HTTP/1.1, DATA frames on HTTP/2)',
    snippets: {
      fastify: "reply.raw.removeHeader('content-length');",
      express: "res.removeHeader('Content-Length');",
      starlette: '# StreamingResponse sets none; remove any middleware that buffers to compute it',
    },
  },
  cacheControl: {
    id: 'cache-control',
    title: 'Cache-Control: no-cache, no-store, no-transform',
    snippets: {
      nginx: 'add_header Cache-Control "no-cache, no-store, no-transform" always;',
      fastify: "reply.raw.setHeader('cache-control', 'no-cache, no-store, no-transform');",
      express: "res.set('Cache-Control', 'no-cache, no-store, no-transform');",
      starlette: 'headers={"Cache-Control": "no-cache, no-store, no-transform"}',
    },
  },
  proxyBufferingOff: {
    id: 'proxy-buffering-off',
    title: 'nginx: proxy_buffering off in the stream\'s location',
    snippets: {
      nginx: 'location /send_operation {\n    proxy_pass http://backend;\n    proxy_buffering off;\n    proxy_cache off;\n}',
    },
  },
  xAccelBuffering: {
    id: 'x-accel-buffering',
    title: 'backend: X-Accel-Buffering: no (nginx then does not buffer this response)',
    snippets: {
      fastify: "reply.raw.setHeader('x-accel-buffering', 'no');",
      express: "res.set('X-Accel-Buffering', 'no');",
      starlette: 'headers={"X-Accel-Buffering": "no"}',
    },
  },
  gzipOff: {
    id: 'gzip-off',
    title: 'no compression on the stream: gzip off in its location (or drop text/event-stream from gzip_types)',
    snippets: {
      nginx: 'location /send_operation {\n    gzip off;\n    proxy_pass http://backend;\n}',
      fastify: "// @fastify/compress: skip streams\napp.register(compress, { customTypes: /^(?!text\\/event-stream)/ });",
      express: "app.use(compression({ filter: (req, res) => !/event-stream/.test(String(res.getHeader('Content-Type'))) }));\n// or call res.flush() after every event",
      starlette: '# GZipMiddleware buffers: leave it off the streaming route, or set minimum_size above any event\napp.add_middleware(GZipMiddleware, minimum_size=10**9)',
    },
  },
  proxyHttp11: {
    id: 'proxy-http-version',
    title: 'nginx: proxy_http_version 1.1 to the backend (1.0 is the default)',
    snippets: { nginx: 'proxy_http_version 1.1;\nproxy_set_header Connection "";' },
  },
  proxyReadTimeout: {
    id: 'proxy-read-timeout',
    title: 'nginx: proxy_read_timeout above the longest silence (default 60 s), and heartbeats',
    snippets: {
      nginx: 'proxy_read_timeout 3600s;',
      fastify: "setInterval(() => reply.raw.write(': hb\\n\\n'), 15_000);",
      express: "setInterval(() => res.write(': hb\\n\\n'), 15_000);",
      starlette: '# sse-starlette: EventSourceResponse(gen(), ping=15)',
    },
  },
  flushPerEvent: {
    id: 'flush-per-event',
    title: 'backend: write (flush) each event as it is produced; no timer, no size threshold',
    snippets: {
      fastify: "for await (const ev of events) reply.raw.write(`data: ${JSON.stringify(ev)}\\n\\n`);",
      express: "for await (const ev of events) { res.write(`data: ${JSON.stringify(ev)}\\n\\n`); res.flush?.(); }",
      starlette: 'async def gen():\n    async for ev in events:\n        yield f"data: {json.dumps(ev)}\\n\\n"  # one yield per event, no accumulating buffer',
    },
  },
  headersEarly: {
    id: 'headers-early',
    title: 'send the response headers at once, before the first event',
    snippets: {
      fastify: 'reply.raw.flushHeaders();',
      express: 'res.flushHeaders();',
      starlette: '# StreamingResponse sends headers when the generator starts: do not await work before the first yield\nyield ": open\\n\\n"',
    },
  },
  keepAliveHttp11: {
    id: 'keep-alive',
    title: 'HTTP/1.1 with chunked transfer encoding and a persistent connection',
    snippets: {
      nginx: 'proxy_http_version 1.1;\nproxy_set_header Connection "";\nchunked_transfer_encoding on;',
      fastify: "// do not set 'connection: close'; Node uses chunked encoding when no Content-Length is set",
      express: "// do not set 'Connection: close'",
      starlette: '# uvicorn speaks HTTP/1.1; remove any Connection: close header',
    },
  },
  noConnectionHeadersH2: {
    id: 'no-connection-headers-h2',
    title: 'drop Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection on HTTP/2 responses',
    snippets: {
      nginx: '# nginx strips them itself when it terminates HTTP/2; in a backend behind an h2 proxy:\nproxy_hide_header Connection;\nproxy_hide_header Keep-Alive;',
      fastify: "// with http2: true, set no 'connection'/'keep-alive' headers",
      express: "// behind an HTTP/2 terminator: do not res.set('Connection', 'keep-alive')",
      starlette: '# remove "Connection": "keep-alive" from the headers dict (the guide adds it)',
    },
  },
  heartbeat: {
    id: 'heartbeat',
    title: 'send a heartbeat (SSE comment) every 15 s while idle',
    snippets: {
      fastify: "const hb = setInterval(() => reply.raw.write(': hb\\n\\n'), 15_000);",
      express: "const hb = setInterval(() => res.write(': hb\\n\\n'), 15_000);",
      starlette: '# sse-starlette: EventSourceResponse(gen(), ping=15)',
    },
  },
  http2Tls: {
    id: 'http2-tls',
    title: 'serve the streams over HTTP/2 (TLS): a browser opens 6 HTTP/1.1 connections per origin, and a 7th stream waits for one to end',
    snippets: {
      nginx: 'listen 443 ssl;\nhttp2 on;  # nginx >= 1.25.1; before: listen 443 ssl http2;',
      fastify: "Fastify({ http2: true, https: { allowHTTP1: true, key, cert } })",
      express: '# terminate TLS with HTTP/2 in front (nginx, Caddy); Express speaks HTTP/1.1 only',
      starlette: '# hypercorn --certfile cert.pem --keyfile key.pem app:app  (HTTP/2 over TLS)',
    },
  },
  renderPerFrame: {
    id: 'render-per-frame',
    title: "keep the page's main thread free: append the events of a frame at once (requestAnimationFrame), not one DOM update per event",
    snippets: {},
  },
} as const satisfies Record<string, Fix>;
