import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { flushSettings } from '../flush-presets.js';
import type { ErrorBody, NbsErrorCode } from '../protocol.js';
import { packageVersion } from '../version.js';
import { monoNow } from './clock.js';
import { RequestError } from './request-error.js';
import { BODY_LIMIT_BYTES, type ServerOptions } from './server-options.js';
import { ServerState } from './server-state.js';
import { makeStreamHandler } from './stream-route.js';

export interface App {
  fastify: FastifyInstance;
  state: ServerState;
}

function sendError(reply: FastifyReply, status: number, code: NbsErrorCode, message: string, retryAfterS?: number): void {
  if (retryAfterS !== undefined) void reply.header('retry-after', String(retryAfterS));
  const body: ErrorBody = { error: { code, message } };
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Fastify's own errors (body parsing, routing) mapped to the contract's codes. */
function mapFastifyError(err: FastifyError): { status: number; code: NbsErrorCode; message: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'NBS_UNSUPPORTED_MEDIA_TYPE', message: 'send the body as Content-Type: application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'NBS_BODY_TOO_LARGE', message: `the body is larger than ${BODY_LIMIT_BYTES} bytes` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'NBS_BAD_JSON', message: 'the body is empty; send a JSON object' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'NBS_BAD_JSON', message: `the body is not valid JSON: ${err.message}` };
    default:
      break;
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return { status: 400, code: 'NBS_BAD_JSON', message: `the body is not valid JSON: ${err.message}` };
  }
  const status = err.statusCode ?? 500;
  if (status === 404) return { status, code: 'NBS_NOT_FOUND', message: err.message };
  if (status >= 400 && status < 500) return { status, code: 'NBS_INVALID_BODY', message: err.message };
  return { status: 500, code: 'NBS_INTERNAL', message: 'internal server error' };
}

/** The fastify application of `serve`, not yet listening. */
export function buildApp(opts: ServerOptions): App {
  const state = new ServerState();
  const base = flushSettings(opts.flushPolicy, opts.custom);
  const fastify = Fastify({
    // stdout carries only the URL (CONTRACT.md): pino writes JSON lines to stderr.
    logger: { level: opts.logLevel, stream: opts.logStream ?? process.stderr },
    // One log line per stream, written by the stream route; no per-request access log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: opts.keepAliveS * 1000,
    // Streams end themselves on shutdown; idle keep-alive sockets are closed by fastify.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  // Only JSON bodies: a text/plain body is a 415, not a string handed to validation.
  fastify.removeContentTypeParser('text/plain');

  fastify.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { nbsStart?: number }).nbsStart = monoNow();
    if (state.shuttingDown && request.url !== '/healthz') {
      void reply.header('connection', 'close');
      sendError(reply, 503, 'NBS_SHUTTING_DOWN', 'the server is shutting down', 1);
      return reply;
    }
    return undefined;
  });

  fastify.setErrorHandler((err: FastifyError | RequestError, request, reply) => {
    if (err instanceof RequestError) {
      sendError(reply, err.statusCode, err.code, err.message, err.retryAfterS);
      return;
    }
    const mapped = mapFastifyError(err);
    if (mapped.status >= 500) request.log.error({ err }, 'request failed');
    sendError(reply, mapped.status, mapped.code, mapped.message);
  });

  fastify.setNotFoundHandler((request, reply) => {
    sendError(reply, 404, 'NBS_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see docs/protocol.md`);
  });

  fastify.post('/send_operation', makeStreamHandler(opts, state, base));

  fastify.get('/healthz', async () => ({
    status: state.shuttingDown ? 'shutting_down' : 'ok',
    version: packageVersion(),
    policy: base.policy,
    settings: base,
    policy_override: opts.allowPolicyOverride,
    streams: { active: state.activeStreams, max: opts.maxStreams, total: state.streamsTotal, outcomes: state.outcomes },
    heartbeat_s: opts.heartbeatS,
    keep_alive_s: opts.keepAliveS,
    grace_s: opts.graceS,
    stall_timeout_s: opts.stallTimeoutS,
    uptime_s: Math.round(process.uptime() * 1000) / 1000,
  }));

  fastify.addHook('onReady', async () => {
    // Nagle off: a small event must not wait for the previous segment's ACK (RFC 896).
    fastify.server.on('connection', (socket) => socket.setNoDelay(true));
  });

  return { fastify, state };
}
