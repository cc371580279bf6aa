import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { ErrorBody } from '../model/protocol.js';
import { BODY_LIMIT_BYTES, type ServerOptions } from './server-options.js';

/**
 * The fastify instance for the chosen protocol: HTTP/1.1 by default, HTTPS with HTTP/1.1 and
 * HTTP/2 negotiated by ALPN (RFC 7301) when a certificate is given, cleartext HTTP/2 with prior
 * knowledge (h2c, RFC 9113 §3.3) with `http2`. The same routes, writer and policies run on each.
 */
export function createFastify(opts: ServerOptions): FastifyInstance {
  const common = {
    // stdout carries only the URL (docs/cli.md): pino writes JSON lines to stderr (or a tee).
    logger: { level: opts.logLevel, stream: opts.logStream ?? process.stderr },
    // One log line per stream, written by the stream route; no per-request access log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: opts.keepAliveS * 1000,
    return503OnClosing: true,
    clientErrorHandler,
    // Slow-header clients get 408 after --headers-timeout-s, checked every second (Node's default
    // check runs every 30 s: such connections lived ~80 s; issue 25 item 7). Node requires
    // requestTimeout ≥ headersTimeout; it bounds the request only, not our streamed response.
    http: {
      headersTimeout: opts.headersTimeoutS * 1000,
      requestTimeout: Math.max(300, opts.headersTimeoutS) * 1000,
      connectionsCheckingInterval: Math.min(1000, opts.headersTimeoutS * 500),
      // The onRequest hook answers a missing Host with the contract's JSON 400.
      requireHostHeader: false,
    },
  };
  let fastify: FastifyInstance;
  if (opts.tls !== undefined) {
    fastify = Fastify({
      ...common,
      http2: true,
      https: { allowHTTP1: true, cert: opts.tls.cert, key: opts.tls.key },
      http2SessionTimeout: opts.keepAliveS * 1000,
    }) as unknown as FastifyInstance;
  } else if (opts.http2) {
    fastify = Fastify({ ...common, http2: true, http2SessionTimeout: opts.keepAliveS * 1000 }) as unknown as FastifyInstance;
  } else {
    // Streams end themselves on shutdown; Node closes idle keep-alive sockets on close().
    fastify = Fastify({ ...common, forceCloseConnections: 'idle' });
  }
  // node:net drops connections past the cap at once (--max-connections; 0: none).
  if (opts.maxConnections > 0) fastify.server.maxConnections = opts.maxConnections;
  fastify.addHook('onReady', async () => {
    // Nagle off: a small event must not wait for the ACK of the previous one (RFC 896).
    const event = opts.tls !== undefined ? 'secureConnection' : 'connection';
    fastify.server.on(event, (socket: { setNoDelay?: (on: boolean) => void }) => socket.setNoDelay?.(true));
  });
  return fastify;
}

/**
 * Requests Node's parser rejects before fastify sees them (oversized or malformed headers) still
 * get the contract's JSON error body: 431 for headers over Node's limit (RFC 6585 §5), else 400.
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) return;
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const body: ErrorBody = tooLarge
    ? { error: { code: 'NBS_HEADERS_TOO_LARGE', message: 'the request headers are too large' } }
    : timedOut
      ? { error: { code: 'NBS_REQUEST_TIMEOUT', message: "the request headers did not arrive within the server's headers timeout" } }
      : { error: { code: 'NBS_BAD_REQUEST', message: 'malformed HTTP request' } };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
  );
}
