import { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { flushSettings } from '../model/flush-presets.js';
import { byFieldName, field } from '../model/field-text.js';
import { WS_PATH, type ErrorBody, type NbsErrorCode } from '../model/protocol.js';
import { packageVersion } from '../version.js';
import { monoNow } from './clock.js';
import { AccessGuard, CORS_ALLOW_HEADERS, corsHeaders } from './access.js';
import { ServerMetrics } from './metrics.js';
import { RequestError } from './request-error.js';
import { BODY_LIMIT_BYTES, type ServerOptions } from './server-options.js';
import { ServerState } from './server-state.js';
import { JupyterLog } from '../jupyter/log.js';
import { DEFAULT_JUPYTER_SETTINGS, JupyterController } from './jupyter-controller.js';
import { SourceRegistry } from './source-registry.js';
import { describeLlmConfig, resolveLlmConfig } from './sources/llm-config.js';
import { makeStreamHandler } from './stream-route.js';
import { registerJsonBody, strictValidatorCompiler } from './json-body.js';
import { ENVELOPE_SCHEMA } from './validate-envelope.js';
import { createFastify } from './transport.js';
import { attachWebSocket } from './ws-route.js';

export interface App {
  fastify: FastifyInstance;
  state: ServerState;
  metrics: ServerMetrics;
  sources: SourceRegistry;
  jupyter: JupyterController;
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
  const metrics = new ServerMetrics(() => state.bufferedBytes());
  const guard = new AccessGuard({ boundHost: opts.host, allowedHosts: opts.allowedHosts, ...(opts.token === undefined ? {} : { token: opts.token }) });
  const cors = { origins: opts.corsOrigins, credentials: opts.corsCredentials };
  const base = flushSettings(opts.flushPolicy, opts.custom);
  // No upstream unless the caller (the CLI, from flags and OPENAI_*) configured one.
  const llm = opts.llm ?? resolveLlmConfig({}, {});
  const names = opts.names ?? byFieldName;
  const fastify = createFastify(opts);
  // The Jupyter child's output and kernel notes go to this server's own logger (stdout carries
  // only the URL); the log redacts the Jupyter token.
  const jupyterLog = new JupyterLog((level, line) => fastify.log[level]({ component: 'jupyter' }, line));
  const jupyter = new JupyterController(opts.jupyter ?? DEFAULT_JUPYTER_SETTINGS, jupyterLog, names);
  const sources = new SourceRegistry({ llm, jupyter, names });
  metrics.addKernelMetrics(async () => (await sources.peek('execute'))?.kernelStats?.());

  // Only JSON bodies: a text/plain body is a 415, not a string handed to validation.
  fastify.removeContentTypeParser('text/plain');

  const refuse = (reply: FastifyReply, status: number, code: NbsErrorCode, message: string, retryAfterS?: number) => {
    metrics.errors.inc({ code });
    // An SRE who sees 4xx/5xx in the proxy finds the reason here (never the body or headers).
    reply.request.log.info({ code, status, method: reply.request.method, path: reply.request.url.split('?')[0], remote: reply.request.ip }, `stream refused: ${code}`);
    sendError(reply, status, code, message, retryAfterS);
    return reply;
  };

  fastify.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { nbsStart?: number }).nbsStart = monoNow();
    const path = request.url.split('?')[0];
    // HEAD answers like GET (RFC 9110 §9.3.2): load balancers probe with it.
    const isHealth = path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD');
    if (request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor === 1 && request.headers.host === undefined) {
      // RFC 9112 §3.2: a 400 for HTTP/1.1 without Host, with our JSON body (Node's own is empty).
      return refuse(reply, 400, 'NBS_BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
    }
    if (!isHealth && state.refusesForShutdown()) {
      // Connection-specific headers are forbidden on HTTP/2 (RFC 9113 §8.2.2).
      if (request.raw.httpVersionMajor === 1) void reply.header('connection', 'close');
      return refuse(reply, 503, 'NBS_SHUTTING_DOWN', 'the server is shutting down', 1);
    }
    const allow = corsHeaders(request.headers.origin, cors);
    if (allow !== null) void reply.headers(allow);
    // A CORS preflight never carries credentials (Fetch standard, CORS-preflight request).
    if (request.method === 'OPTIONS' && allow !== null && request.headers['access-control-request-method'] !== undefined) {
      void reply
        .code(204)
        .headers({ 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': CORS_ALLOW_HEADERS, 'access-control-max-age': '600' })
        .send();
      return reply;
    }
    if (isHealth) return undefined;
    if (guard.hasToken) {
      if (!guard.tokenMatches(request.headers.authorization)) {
        void reply.header('www-authenticate', 'Bearer');
        return refuse(reply, 401, 'NBS_UNAUTHORIZED', 'missing or wrong token: send Authorization: Bearer TOKEN');
      }
    } else if (!guard.hostAllowed(request.headers.host ?? (request.headers[':authority'] as string | undefined))) {
      return refuse(reply, 403, 'NBS_HOST_NOT_ALLOWED', `Host not allowed: use a loopback name, the bound address, or start serve with ${names(field('allowedHosts'))} NAME (or a token)`);
    }
    return undefined;
  });

  fastify.setErrorHandler((err: FastifyError | RequestError, request, reply) => {
    if (err instanceof RequestError) {
      refuse(reply, err.statusCode, err.code, err.message, err.retryAfterS);
      return;
    }
    const mapped = mapFastifyError(err);
    if (mapped.status >= 500) request.log.error({ err }, 'request failed');
    refuse(reply, mapped.status, mapped.code, mapped.message);
  });

  fastify.setNotFoundHandler((request, reply) => {
    refuse(reply, 404, 'NBS_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see docs/protocol.md`);
  });

  registerJsonBody(fastify);
  fastify.post(
    '/send_operation',
    { schema: { body: ENVELOPE_SCHEMA }, validatorCompiler: strictValidatorCompiler, attachValidation: true },
    makeStreamHandler(opts, state, base, metrics, sources),
  );
  // GET /ws: the same operations over one WebSocket (docs/protocol.md, "WebSocket").
  attachWebSocket(fastify, { opts, state, base, metrics, sources, guard, cors });

  fastify.get('/metrics', async (_request, reply) => {
    metrics.activeStreams.set(state.activeStreams);
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  fastify.get('/healthz', async () => ({
    status: state.shuttingDown ? 'shutting_down' : 'ok',
    version: packageVersion(),
    policy: base.policy,
    settings: base,
    policy_override: opts.allowPolicyOverride,
    llm: describeLlmConfig(llm, names),
    jupyter: jupyter.describe(),
    auth: guard.hasToken ? 'token' : 'host-check',
    protocol: opts.tls !== undefined ? 'https (HTTP/1.1, h2)' : opts.http2 ? 'h2c' : 'http/1.1',
    compress: opts.compress,
    websocket: { path: WS_PATH, permessage_deflate: opts.wsDeflate },
    streams: { active: state.activeStreams, max: opts.maxStreams, total: state.streamsTotal, outcomes: state.outcomes },
    heartbeat_s: opts.heartbeatS,
    keep_alive_s: opts.keepAliveS,
    grace_s: opts.graceS,
    stall_timeout_s: opts.stallTimeoutS,
    uptime_s: Math.round(process.uptime() * 1000) / 1000,
  }));

  // Sources that load no SDK, and chat when an upstream is configured, load before the first request.
  fastify.addHook('onReady', () => sources.warm(llm.baseURL === undefined ? ['ping', 'replay'] : ['ping', 'replay', 'chat']));
  fastify.addHook('onClose', async () => {
    // Kernels first (the execute source interrupts and shuts them down), then their server.
    await sources.close();
    await jupyter.stop();
  });

  return { fastify, state, metrics, sources, jupyter };
}
