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
    // Each app its own pino, writing JSON lines to the caller's stream (the CLI: stderr or a tee;
    // stdout carries only the URL, docs/cli.md); without a stream, no log.
    logger: opts.logStream === undefined ? false : { level: opts.logLevel, stream: opts.logStream },
    // One log line per stream, written by the stream route; no per-request access log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: opts.keepAliveS * 1000,
    return503OnClosing: true,
    clientErrorHandler,
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
  const body: ErrorBody = tooLarge
    ? { error: { code: 'NBS_HEADERS_TOO_LARGE', message: 'the request headers are too large' } }
    : { error: { code: 'NBS_BAD_REQUEST', message: 'malformed HTTP request' } };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
  );
}
