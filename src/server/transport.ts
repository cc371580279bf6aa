import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { BODY_LIMIT_BYTES, type ServerOptions } from './server-options.js';

/**
 * The fastify instance for the chosen protocol: HTTP/1.1 by default, HTTPS with HTTP/1.1 and
 * HTTP/2 negotiated by ALPN (RFC 7301) when a certificate is given, cleartext HTTP/2 with prior
 * knowledge (h2c, RFC 9113 §3.3) with `http2`. The same routes, writer and policies run on each.
 */
export function createFastify(opts: ServerOptions): FastifyInstance {
  const common = {
    // stdout carries only the URL (CONTRACT.md): pino writes JSON lines to stderr (or a tee).
    logger: { level: opts.logLevel, stream: opts.logStream ?? process.stderr },
    // One log line per stream, written by the stream route; no per-request access log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: opts.keepAliveS * 1000,
    return503OnClosing: true,
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
