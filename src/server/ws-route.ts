import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FlushSettings } from '../model/flush-presets.js';
import { ERROR_STATUS, WS_PATH, WS_SUBPROTOCOL, WS_TOKEN_PREFIX, type ErrorBody, type NbsErrorCode } from '../model/protocol.js';
import { type AccessGuard, type CorsOptions } from './access.js';
import { byFieldName, field } from '../model/field-text.js';
import { monoNow } from './clock.js';
import type { ServerMetrics } from './metrics.js';
import { RequestError, say } from './request-error.js';
import { BODY_LIMIT_BYTES, type ServerOptions } from './server-options.js';
import type { ServerState, StreamOutcome } from './server-state.js';
import type { SourceRegistry } from './source-registry.js';
import type { Payload } from './source.js';
import { policySettings, pumpStream, StreamEnd } from './stream-route.js';
import { StreamWriter } from './stream-writer.js';
import { strictValidatorCompiler } from './json-body.js';
import { ENVELOPE_SCHEMA, envelopeError, envelopeOf, JSON_DEPTH_MAX, nestsDeeper, type Envelope, type SchemaError } from './validate-envelope.js';
import { WsConnection, WsOperationSink } from './ws-sink.js';

export interface WsDeps {
  opts: ServerOptions;
  state: ServerState;
  base: FlushSettings;
  metrics: ServerMetrics;
  sources: SourceRegistry;
  guard: AccessGuard;
  cors: CorsOptions;
}

/** A message is checked by the same JSON Schema as POST /send_operation's body (issue 24), compiled once. */
const checkEnvelope = strictValidatorCompiler({ schema: ENVELOPE_SCHEMA, method: 'GET', url: WS_PATH, httpPart: 'body' }) as ((data: unknown) => boolean) & {
  errors?: SchemaError[] | null;
};

function validateEnvelope(body: unknown): Envelope {
  if (!checkEnvelope(body)) throw envelopeError(checkEnvelope.errors ?? [], body);
  return envelopeOf(body);
}

/** The token a handshake carries: `Authorization: Bearer …`, else a `bearer.<base64url>` subprotocol. */
function handshakeToken(req: IncomingMessage): string | undefined {
  if (req.headers.authorization !== undefined) return req.headers.authorization;
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined) return undefined;
  for (const p of offered.split(',')) {
    const v = p.trim();
    if (v.startsWith(WS_TOKEN_PREFIX)) return `Bearer ${Buffer.from(v.slice(WS_TOKEN_PREFIX.length), 'base64url').toString('utf8')}`;
  }
  return undefined;
}

/** A refusal before the upgrade: the same JSON error body as HTTP (docs/protocol.md, "Errors"). */
function refuseUpgrade(socket: Duplex, code: NbsErrorCode, message: string, extra = ''): void {
  const status = ERROR_STATUS[code];
  const body: ErrorBody = { error: { code, message } };
  const json = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Bad Request';
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${extra}connection: close\r\n\r\n${json}`,
    );
  }
  socket.once('error', () => undefined);
}

/**
 * GET /ws: the operations of POST /send_operation over one WebSocket (RFC 6455). Each client
 * message is the operation envelope plus an `id`; the server answers one message per event with
 * the SSE `data` fields and that `id`, so several operations share the socket. The upgrade passes
 * the same checks as HTTP: token (header or subprotocol, never the URL), else Host; and the Origin
 * must be a --cors-origin, since a browser lets any page open a WebSocket (no preflight).
 */
export function attachWebSocket(fastify: FastifyInstance, deps: WsDeps): void {
  const { opts, state, guard, cors, metrics } = deps;
  const names = opts.names ?? byFieldName;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: BODY_LIMIT_BYTES,
    perMessageDeflate: opts.wsDeflate ? { threshold: 0, serverNoContextTakeover: false, clientNoContextTakeover: false } : false,
    // Never echo the token subprotocol back (response headers end up in proxy logs).
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  const log = fastify.log;
  const refuse = (req: IncomingMessage, socket: Duplex, code: NbsErrorCode, message: string, extra = '') => {
    metrics.errors.inc({ code });
    log.info({ code, status: ERROR_STATUS[code], method: req.method, path: WS_PATH, remote: req.socket.remoteAddress }, `stream refused: ${code}`);
    refuseUpgrade(socket, code, message, extra);
  };

  fastify.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return refuse(req, socket, 'NBS_NOT_FOUND', `no WebSocket endpoint at ${path}; use ${WS_PATH} (docs/protocol.md)`);
    if (state.refusesForShutdown()) return refuse(req, socket, 'NBS_SHUTTING_DOWN', 'the server is shutting down', 'retry-after: 1\r\n');
    const origin = req.headers.origin;
    if (origin !== undefined && !cors.origins.includes(origin)) {
      return refuse(req, socket, 'NBS_ORIGIN_NOT_ALLOWED', `Origin ${origin} not allowed: start serve with ${names(field('corsOrigins'))} ${origin}`);
    }
    if (guard.hasToken) {
      if (!guard.tokenMatches(handshakeToken(req))) {
        return refuse(req, socket, 'NBS_UNAUTHORIZED', `missing or wrong token: send Authorization: Bearer TOKEN or the subprotocol ${WS_TOKEN_PREFIX}BASE64URL(TOKEN)`, 'www-authenticate: Bearer\r\n');
      }
    } else if (!guard.hostAllowed(req.headers.host)) {
      return refuse(req, socket, 'NBS_HOST_NOT_ALLOWED', `Host not allowed: use a loopback name, the bound address, or start serve with ${names(field('allowedHosts'))} NAME (or a token)`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      onConnection(ws);
      new WsSession(ws, req, deps, log);
    });
  });

  // Keep-alive: a ping every heartbeat period; a socket that has not answered the previous one is dead.
  const alive = new WeakSet<WebSocket>();
  let pinger: NodeJS.Timeout | null = null;
  // handleUpgrade emits no 'connection' event: the upgrade handler calls this.
  let onConnection = (_ws: WebSocket): void => undefined;
  if (opts.heartbeatS > 0) {
    pinger = setInterval(() => {
      for (const ws of wss.clients) {
        if (!alive.has(ws)) {
          ws.terminate();
          continue;
        }
        alive.delete(ws);
        ws.ping();
      }
    }, opts.heartbeatS * 1000);
    pinger.unref();
    onConnection = (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
    };
  }
  // Streams have ended (or the grace period is over) by now: close every socket ("going away", RFC 6455 §7.4.1).
  fastify.addHook('preClose', (done) => {
    if (pinger !== null) clearInterval(pinger);
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    const timer = setTimeout(() => {
      for (const ws of wss.clients) ws.terminate();
    }, 1000);
    timer.unref();
    wss.close(() => done());
  });
}

/** One WebSocket and the operations streaming on it. */
class WsSession {
  private readonly conn: WsConnection;
  private readonly ops = new Map<string, StreamEnd>();
  private readonly request: Pick<FastifyRequest, 'log' | 'ip' | 'headers'>;

  constructor(
    ws: WebSocket,
    req: IncomingMessage,
    private readonly deps: WsDeps,
    log: FastifyBaseLogger,
  ) {
    this.conn = new WsConnection(ws);
    this.request = { log, ip: req.socket.remoteAddress ?? '', headers: req.headers };
    // Node closes an upgraded socket when it errors; the 'close' below ends its operations.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.once('close', () => {
      for (const stop of this.ops.values()) stop.end('client_closed');
    });
  }

  private send(obj: Record<string, unknown>): void {
    if (this.conn.open) this.conn.send(JSON.stringify(obj));
  }

  /** An operation refused before it started: the HTTP error body plus `id`, `event` and `status`. */
  private refuse(id: unknown, err: RequestError): void {
    this.deps.metrics.errors.inc({ code: err.code });
    this.request.log.info({ code: err.code, status: err.statusCode, path: WS_PATH, remote: this.request.ip }, `stream refused: ${err.code}`);
    this.send({ id: id ?? null, event: 'refused', status: err.statusCode, error: { code: err.code, message: err.message } });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    let msg: unknown;
    const text = data.toString('utf8');
    // The nesting bound of HTTP bodies (json-body.ts), before JSON.parse sees the text.
    if (nestsDeeper(text, JSON_DEPTH_MAX)) {
      this.refuse(null, new RequestError('NBS_BAD_JSON', `the message nests arrays or objects deeper than ${JSON_DEPTH_MAX} levels`));
      return;
    }
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.refuse(null, new RequestError('NBS_BAD_JSON', `the message is not valid JSON${isBinary ? ' (binary frame)' : ''}: ${(err as Error).message}`));
      return;
    }
    const obj = typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as Record<string, unknown>) : null;
    const id = obj?.['id'];
    if (obj === null || (typeof id !== 'string' && typeof id !== 'number') || String(id) === '' || String(id).length > 256) {
      // The id is unusable, so it is not echoed: the refusal carries "id":null (docs/protocol.md).
      this.refuse(null, new RequestError('NBS_INVALID_BODY', 'each message needs an "id" (a string or number of 1 to 256 characters), e.g. {"id":"op1","notebook_id":"n1","operation":{"type":"ping"}}'));
      return;
    }
    const key = JSON.stringify(id);
    if (obj['cancel'] === true) {
      // Cancelling an operation that already ended is not an error: the two crossed on the wire.
      this.ops.get(key)?.end('cancelled');
      return;
    }
    if (this.ops.has(key)) {
      this.refuse(id, new RequestError('NBS_INVALID_BODY', `operation ${key} is still streaming on this socket: use a new id`));
      return;
    }
    void this.run(key, obj).catch((err: unknown) => {
      this.request.log.error({ err }, 'websocket operation failed');
    });
  }

  private async run(key: string, body: Record<string, unknown>): Promise<void> {
    const { opts, state, metrics, sources } = this.deps;
    const requestStart = monoNow();
    const stop = new StreamEnd();
    // Registered before the first await, so a cancel or close during the source's start counts.
    this.ops.set(key, stop);
    const id = body['id'];
    let opened = false;
    let outcome: StreamOutcome = 'error';
    const onShutdown = () => stop.end('shutdown');
    try {
      let env: Envelope;
      let settings: FlushSettings;
      let source: AsyncIterable<Payload>;
      try {
        if (state.shuttingDown) throw new RequestError('NBS_SHUTTING_DOWN', 'the server is shutting down', { retryAfterS: 1 });
        env = validateEnvelope(body);
        if (state.activeStreams >= opts.maxStreams) {
          throw new RequestError(
            'NBS_TOO_MANY_STREAMS',
            say(env.lang, `too many open streams (limit ${opts.maxStreams}); retry later`, `打开的流过多（上限 ${opts.maxStreams}），请稍后重试`),
            { retryAfterS: 1 },
          );
        }
        settings = this.settingsOf(body);
        const def = await sources.load(env.operation.type, env.lang);
        const op = def.validate(env.operation, env.lang);
        state.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
        state.streamOpened();
        this.conn.operations++;
        opened = true;
        try {
          source = await def.open(op, { signal: stop.signal, settings, notebookId: env.notebookId, lang: env.lang });
        } catch (err) {
          if (err instanceof RequestError) throw err;
          throw new RequestError('NBS_SOURCE_FAILED', `the ${env.operation.type} source failed to start: ${(err as Error).message}`, { cause: err });
        }
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        this.refuse(id, err);
        return;
      }
      const hold = metrics.hold.labels(settings.policy);
      const writer = new StreamWriter(new WsOperationSink(this.conn), {
        format: 'ws',
        messageOpen: `{"id":${JSON.stringify(id)},`,
        settings,
        requestStart,
        // Ping frames keep the socket alive (attachWebSocket), not per-operation heartbeats: heartbeat() has no WebSocket form.
        heartbeatMs: 0,
        onHold: (ms) => hold.observe(ms / 1000),
      });
      // A socket that stalls or overflows stalls every operation on it: cut it.
      const cut = () => this.conn.ws.terminate();
      outcome = await pumpStream({ opts, state, metrics, request: this.request, env, settings, writer, stop, cut }, source);
    } finally {
      this.ops.delete(key);
      if (!stop.signal.aborted) stop.controller.abort('done');
      if (opened) {
        state.shutdown.signal.removeEventListener('abort', onShutdown);
        this.conn.operations--;
        state.streamClosed(outcome);
      }
    }
  }

  /** A message may pick the policy with `"flush_policy"` when serve allows overrides (as the X-NBS-Flush-Policy header does). */
  private settingsOf(body: Record<string, unknown>): FlushSettings {
    const { opts, base } = this.deps;
    const name = body['flush_policy'];
    return name === undefined ? base : policySettings(name, '"flush_policy"', opts, base);
  }
}
