import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { UnavailableError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { ChunkWriter, errorBody, estimatePromptTokens, usageOf } from './chunks.js';
import { planFor, ProfileError, type Plan } from './profile.js';
import { loadRecordings, type LlmRecording } from './recording.js';

/**
 * `notebook-stream upstream`: an OpenAI-compatible server with no network and no model, for tests,
 * `compare --source chat` and benchmarks (docs/llm.md).
 *
 * Built on node:http rather than fastify: the point of this server is exact control of the wire
 * (one `write()` per chunk at a scheduled time, destroying the socket mid-body for `reset_after`,
 * holding it silent for `stall_after`) and counting what happens on it (connections, requests closed
 * by the client before the end). fastify would sit between us and the socket and add nothing here
 * that three routes need.
 */

/** What the upstream saw; live counters, read them at any time. */
export interface UpstreamStats {
  /** TCP connections accepted (a pooled client makes one for many sequential requests). */
  connections: number;
  /** HTTP requests received, any route. */
  requests: number;
  /** `POST /v1/chat/completions` requests. */
  chatRequests: number;
  /** Responses the client closed before the upstream finished them (abort propagation). */
  closedEarly: number;
  /** Connections the upstream reset on purpose (`reset_after`). */
  resets: number;
  /** Responses written to the end. */
  completed: number;
  /** Chat responses in progress right now. */
  active: number;
}

export interface UpstreamOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where the recordings are (default: the package's `fixtures/llm/`). */
  recordingsDir?: string;
  /** One line per request and lifecycle event (the CLI sends it to stderr). Never carries keys. */
  log?: (line: string) => void;
}

export interface Upstream {
  /** The API base, `http://127.0.0.1:PORT/v1` (IPv6: `http://[::1]:PORT/v1`). */
  url: string;
  port: number;
  stats: UpstreamStats;
  /** Stops listening and ends every open connection (streams in progress are cut). */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const host = options.host ?? '127.0.0.1';
  const recordings = await loadRecordings(options.recordingsDir);
  const log = options.log ?? (() => {});
  const stats: UpstreamStats = { connections: 0, requests: 0, chatRequests: 0, closedEarly: 0, resets: 0, completed: 0, active: 0 };
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    stats.requests++;
    handle(req, res, { stats, recordings, log, isClosing: () => closing }).catch((err: unknown) => {
      // A client that hangs up while sending its body is not our error.
      if (req.destroyed || res.destroyed) return;
      log(`upstream: internal error: ${(err as Error).message}`);
      if (!res.headersSent) sendError(res, 500, errorBody('internal error in the replay upstream', 'server_error', null));
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new UnavailableError(ft`port ${options.port ?? 0} on ${host} is in use (${field('port')})`, { code: 'NBS_UNAVAILABLE_PORT_IN_USE', cause: err }));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UnavailableError(ft`cannot listen on ${host}: ${err.code} (${field('host')})`, { code: 'NBS_UNAVAILABLE', cause: err }));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port ?? 0, host);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the upstream has no TCP address');
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}/v1`;
  log(`upstream: listening on ${url} (recordings: ${[...recordings.keys()].join(', ') || 'none'})`);

  return {
    url,
    port: address.port,
    stats,
    close: () => closeServer(server, sockets, () => (closing = true)),
  };
}

function closeServer(server: Server, sockets: Set<Socket>, markClosing: () => void): Promise<void> {
  markClosing();
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

interface HandlerEnv {
  stats: UpstreamStats;
  recordings: ReadonlyMap<string, LlmRecording>;
  log: (line: string) => void;
  isClosing: () => boolean;
}

async function handle(req: IncomingMessage, res: ServerResponse, env: HandlerEnv): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
    req.resume();
    return models(path, res, env);
  }
  if (path === '/v1/chat/completions') {
    if (req.method !== 'POST') {
      req.resume();
      return sendError(res, 405, errorBody(`Method ${req.method ?? ''} is not allowed on ${path}; use POST.`, 'invalid_request_error', null));
    }
    env.stats.chatRequests++;
    return chat(req, res, env);
  }
  req.resume();
  sendError(res, 404, errorBody(`Unknown request URL: ${req.method ?? ''} ${path}.`, 'invalid_request_error', 'unknown_url'));
}

function sendError(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function models(path: string, res: ServerResponse, env: HandlerEnv): void {
  const model = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'notebook-stream' });
  const ids = ['synthetic', ...env.recordings.keys()];
  if (path === '/v1/models') return sendJson(res, { object: 'list', data: ids.map(model) });
  const id = decodeURIComponent(path.slice('/v1/models/'.length));
  const name = id.split('?')[0] ?? id;
  if (ids.includes(name)) return sendJson(res, model(id));
  sendError(res, 404, errorBody(`The model \`${id}\` does not exist.`, 'invalid_request_error', 'model_not_found', 'model'));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_BODY_BYTES) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The failure bodies the real API sends, by status (docs/llm.md, "Failures on demand"). */
function failure(status: number, req: IncomingMessage, plan: Plan): { body: string; headers: Record<string, string> } {
  switch (status) {
    case 401: {
      // The real API echoes a masked key. This one echoes the presented key in full on purpose:
      // the chat source must keep keys out of its errors whatever the upstream sends.
      const presented = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      return {
        body: errorBody(
          `Incorrect API key provided: ${presented}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          'invalid_api_key',
        ),
        headers: {},
      };
    }
    case 403:
      return { body: errorBody('You are not allowed to sample from this model.', 'invalid_request_error', 'permission_denied'), headers: {} };
    case 404:
      return { body: errorBody(`The model \`${plan.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model'), headers: {} };
    case 429:
      return {
        body: errorBody('Rate limit reached for requests per min (RPM). Please try again later.', 'requests', 'rate_limit_exceeded'),
        headers: {
          'retry-after': String(plan.retryAfterS),
          'x-ratelimit-limit-requests': '60',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${plan.retryAfterS}s`,
        },
      };
    case 400:
      return { body: errorBody('Invalid request (replay upstream: fail=400).', 'invalid_request_error', null), headers: {} };
    case 503:
      return { body: errorBody('The engine is currently overloaded, please try again later.', 'server_error', null), headers: {} };
    default:
      return { body: errorBody('The server had an error while processing your request. Sorry about that!', 'server_error', null), headers: {} };
  }
}

async function chat(req: IncomingMessage, res: ServerResponse, env: HandlerEnv): Promise<void> {
  const arrival = performance.now();
  const raw = await readBody(req);
  if (raw === undefined) {
    return sendError(res, 413, errorBody(`Request body larger than ${MAX_BODY_BYTES} bytes.`, 'invalid_request_error', null), { connection: 'close' });
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return sendError(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
  }
  const model = body['model'];
  if (typeof model !== 'string' || model === '') {
    return sendError(res, 400, errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'));
  }
  if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
    return sendError(res, 400, errorBody("'messages' must be a non-empty array", 'invalid_request_error', null, 'messages'));
  }
  const maxTokensRaw = body['max_completion_tokens'] ?? body['max_tokens'];
  const maxTokens = typeof maxTokensRaw === 'number' && Number.isInteger(maxTokensRaw) && maxTokensRaw > 0 ? maxTokensRaw : undefined;
  let plan: Plan;
  try {
    plan = planFor(model, maxTokens, env.recordings);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    env.log(`upstream: ${err.status} model=${JSON.stringify(model)}: ${err.message}`);
    const code = err.status === 404 ? 'model_not_found' : null;
    return sendError(res, err.status, errorBody(err.message, 'invalid_request_error', code, err.param));
  }
  const stream = body['stream'] === true;
  env.log(`upstream: POST /v1/chat/completions model=${JSON.stringify(model)} stream=${stream} deltas=${plan.deltas.length}`);
  if (plan.failStatus !== undefined) {
    const { body: errBody, headers } = failure(plan.failStatus, req, plan);
    return sendError(res, plan.failStatus, errBody, headers);
  }
  if (plan.errorBody) {
    // A 200 whose body is an error object: what some gateways answer (issue 30).
    const errBody = errorBody('The server had an error while processing your request (replay upstream: error_body).', 'server_error', 'server_error');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(errBody) });
    res.end(errBody);
    return;
  }
  const streamOptions = body['stream_options'] as { include_usage?: unknown; continuous_usage_stats?: unknown } | undefined;
  const includeUsage = stream && (plan.usage ?? streamOptions?.include_usage === true);
  const continuous = stream && (plan.continuousUsage || streamOptions?.continuous_usage_stats === true);
  const writer = new ChunkWriter(plan.model, includeUsage, continuous);
  const promptTokens = plan.promptTokens ?? estimatePromptTokens(body['messages']);
  const usage = usageOf(promptTokens, plan.completionTokens, plan.reasoningTokens);
  if (continuous) writer.running = usageOf(promptTokens, 0);
  await respond(res, req, plan, writer, usage, stream, arrival, env);
}

/** Plays a plan onto the response: a stream of chunks, or one JSON answer at the last delta's time. */
async function respond(
  res: ServerResponse,
  req: IncomingMessage,
  plan: Plan,
  writer: ChunkWriter,
  usage: ReturnType<typeof usageOf>,
  stream: boolean,
  arrival: number,
  env: HandlerEnv,
): Promise<void> {
  const { stats } = env;
  stats.active++;
  let reset = false;
  let closed = false;
  let wake: (() => void) | undefined;
  res.on('close', () => {
    closed = true;
    stats.active--;
    if (res.writableFinished) stats.completed++;
    else if (!reset && !env.isClosing()) stats.closedEarly++;
    wake?.();
  });
  /** Waits until `at` ms after arrival; false when the client went away first. */
  const until = (at: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (closed) return resolve(false);
      const timer = setTimeout(() => {
        wake = undefined;
        resolve(!closed);
      }, Math.max(0, arrival + at - performance.now()));
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(false);
      };
    });
  let lastWrite: Promise<void> = Promise.resolve();
  // heartbeat_ms: a comment after that long without a write, until the response ends. One timer a
  // period, re-armed for the idle remainder when it fires (as serve's StreamWriter): a write only
  // notes its time, no timer call per delta.
  let heartbeat: NodeJS.Timeout | undefined;
  let lastWriteAt = performance.now();
  const onBeat = () => {
    const period = plan.heartbeatMs!;
    if (closed || res.writableEnded) return;
    const idle = performance.now() - lastWriteAt;
    if (idle >= period - 1) {
      res.write(ChunkWriter.heartbeat());
      lastWriteAt = performance.now();
      heartbeat = setTimeout(onBeat, period);
    } else {
      heartbeat = setTimeout(onBeat, period - idle);
    }
  };
  res.on('close', () => clearTimeout(heartbeat));
  res.on('finish', () => clearTimeout(heartbeat));
  const write = (frame: string) => {
    lastWrite = new Promise((resolve) => res.write(frame, () => resolve()));
    lastWriteAt = performance.now();
  };
  const resetNow = async () => {
    // Let what was written reach the client first, then send a TCP RST: a reset mid-body.
    await lastWrite;
    reset = true;
    stats.resets++;
    env.log('upstream: resetting the connection (reset_after)');
    req.socket.resetAndDestroy();
  };
  const stallNow = () => {
    env.log('upstream: going silent (stall_after) until the client closes');
    // Nothing more is written; the response ends when the client (or close()) drops the socket.
  };
  const errorNow = () => {
    env.log('upstream: sending an error event (error_after)');
    // What OpenAI-compatible servers send when generation fails after the stream started: an
    // `error` object in a data frame, and no [DONE].
    const body = errorBody('The server had an error while processing your request (replay upstream: error_after).', 'server_error', 'server_error');
    if (stream) res.end(`data: ${body}\n\n`);
    else sendError(res, 500, body);
  };

  const cutNow = () => {
    env.log('upstream: ending the body without a finish chunk or [DONE] (cut_after)');
    res.end();
  };

  if (stream) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': `req_nbs_${Math.random().toString(36).slice(2, 10)}`,
    });
    res.flushHeaders();
    lastWriteAt = performance.now();
    if (plan.heartbeatMs !== undefined) heartbeat = setTimeout(onBeat, plan.heartbeatMs);
    if (!(await until(plan.roleAtMs))) return;
    write(writer.role());
  }
  let text = '';
  let tokens = 0;
  for (const [i, delta] of plan.deltas.entries()) {
    if (plan.resetAfter === i) return resetNow();
    if (plan.stallAfter === i) return stallNow();
    if (plan.errorAfter === i) return errorNow();
    if (stream && plan.cutAfter === i) return cutNow();
    if (!(await until(delta.atMs))) return;
    tokens += delta.tokens;
    if (writer.running !== null) writer.running = usageOf(writer.running.prompt_tokens, tokens);
    if (stream) write(delta.kind === 'reasoning' ? writer.reasoning(delta.text) : writer.content(delta.text));
    if (delta.kind === 'content') text += delta.text;
  }
  const n = plan.deltas.length;
  if (plan.resetAfter !== undefined && plan.resetAfter >= n) return resetNow();
  if (plan.stallAfter !== undefined && plan.stallAfter >= n) return stallNow();
  if (plan.errorAfter !== undefined && plan.errorAfter >= n) return errorNow();
  if (stream && plan.cutAfter !== undefined && plan.cutAfter >= n) return cutNow();
  if (closed) return;
  if (!stream) return sendJson(res, writer.completion(text, plan.finishReason, usage));
  clearTimeout(heartbeat);
  res.write(writer.finish(plan.finishReason));
  if (writer.includeUsage) res.write(writer.usage(usage));
  res.end(ChunkWriter.done());
}

