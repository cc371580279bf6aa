import type { FastifyReply, FastifyRequest } from 'fastify';
import { FLUSH_POLICY_NAMES, flushSettings, isFlushPolicyName, type FlushSettings } from '../model/flush-presets.js';
import { monoNow } from './clock.js';
import type { ServerMetrics } from './metrics.js';
import { RequestError, say } from './request-error.js';
import type { ServerOptions } from './server-options.js';
import type { ServerState, StreamOutcome } from './server-state.js';
import type { SourceRegistry } from './source-registry.js';
import type { ErrorPayload, Payload } from './source.js';
import { CompressedResponse, negotiateEncoding, varyOnEncoding } from './compress-sink.js';
import { StreamWriter } from './stream-writer.js';
import { envelopeError, envelopeOf, prefersNdjson, type Envelope, type SchemaError } from './validate-envelope.js';

export const POLICY_HEADER = 'x-nbs-flush-policy';

/**
 * Why a stream ended early; decides the `done` status (or no `done` at all for a gone client).
 * `cancelled`: a WebSocket client's cancel message.
 */
export type EndCause = 'client_closed' | 'shutdown' | 'stall' | 'overflow' | 'cancelled';

/** How one stream ends: the first cause wins, and the signal stops its source. */
export class StreamEnd {
  readonly controller = new AbortController();
  private first: EndCause | null = null;
  private taken = false;

  readonly end = (why: EndCause): void => {
    // Once the pump has taken the cause, our own end of the response (its 'close') is none.
    if (this.first === null && !this.taken) this.first = why;
    this.controller.abort(why);
  };

  get cause(): EndCause | null {
    return this.first;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The cause the stream ends with; later calls of `end` no longer change it. */
  take(): EndCause | null {
    this.taken = true;
    return this.first;
  }
}

/**
 * How long more than --max-queued-kib may sit unread before the stream ends with `overflow`: long
 * enough for a reading client to take one large event, short enough that a crowd of clients that
 * never read cannot hold a stall timeout's worth of memory each (issue 25 item 2).
 */
export const OVERFLOW_WAIT_MS = 1000;

function streamSettings(request: FastifyRequest, opts: ServerOptions, base: FlushSettings): FlushSettings {
  const header = request.headers[POLICY_HEADER];
  if (header === undefined) return base;
  return policySettings(Array.isArray(header) ? header[0] ?? '' : header, 'X-NBS-Flush-Policy', opts, base);
}

/**
 * The settings of a stream that asked for policy `name` (the HTTP header, a WebSocket message's
 * `"flush_policy"`): the server's own unless serve allows overrides.
 */
export function policySettings(name: unknown, where: string, opts: ServerOptions, base: FlushSettings): FlushSettings {
  if (!opts.allowPolicyOverride) return base;
  if (typeof name !== 'string' || !isFlushPolicyName(name)) {
    throw new RequestError('NBS_UNKNOWN_POLICY', `unknown flush policy ${JSON.stringify(name)} in ${where} (known: ${FLUSH_POLICY_NAMES.join(', ')})`);
  }
  return name === base.policy ? base : flushSettings(name, opts.custom);
}

/**
 * POST /send_operation: validate, open the source (errors before this point are JSON 4xx/5xx),
 * then hijack the reply and pump payloads through the stream writer until the source ends, the
 * client goes away, the server shuts down or the client stops reading.
 */
export function makeStreamHandler(opts: ServerOptions, state: ServerState, base: FlushSettings, metrics: ServerMetrics, sources: SourceRegistry) {
  const heartbeatMs = opts.heartbeatS * 1000;
  return async function sendOperation(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const requestStart = (request as FastifyRequest & { nbsStart?: number }).nbsStart ?? monoNow();
    // The route's schema (ENVELOPE_SCHEMA) checked the body; its error becomes the contract's message.
    const invalid = (request as FastifyRequest & { validationError?: { validation?: SchemaError[] } }).validationError;
    if (invalid !== undefined) throw envelopeError(invalid.validation ?? [], request.body);
    const env = envelopeOf(request.body);
    if (state.activeStreams >= opts.maxStreams) {
      throw new RequestError(
        'NBS_TOO_MANY_STREAMS',
        say(env.lang, `too many open streams (limit ${opts.maxStreams}); retry later`, `打开的流过多（上限 ${opts.maxStreams}），请稍后重试`),
        { retryAfterS: 1 },
      );
    }
    const settings = streamSettings(request, opts, base);
    const def = await sources.load(env.operation.type, env.lang);
    const op = def.validate(env.operation, env.lang);

    const stop = new StreamEnd();
    const onShutdown = () => stop.end('shutdown');
    state.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const res = reply.raw;
    // A 'close' after the pump took the cause is our own end of the response (StreamEnd.take).
    // `writableFinished` cannot tell: HTTP/2's compat response reports true once its stream is closed
    // by a reset or a destroyed session, which left such streams holding a --max-streams slot until
    // the stall timeout (issue 25).
    const onClose = () => stop.end('client_closed');
    res.once('close', onClose);
    state.streamOpened();
    let outcome: StreamOutcome = 'error';
    try {
      let source: AsyncIterable<Payload>;
      try {
        source = await def.open(op, { signal: stop.signal, settings, notebookId: env.notebookId, lang: env.lang });
      } catch (err) {
        if (err instanceof RequestError) throw err;
        throw new RequestError('NBS_SOURCE_FAILED', `the ${env.operation.type} source failed to start: ${(err as Error).message}`, { cause: err });
      }
      reply.hijack();
      const hold = metrics.hold.labels(settings.policy);
      // serve --compress: a compressor flushed after every write (compress-sink.ts), chosen per Accept-Encoding.
      const extraHeaders = headersOf(reply);
      const encoding = negotiateEncoding(opts.compress, request.headers['accept-encoding']);
      if (opts.compress !== 'off') varyOnEncoding(extraHeaders);
      const writer = new StreamWriter(encoding === null ? res : new CompressedResponse(res, encoding), {
        format: prefersNdjson(request.headers.accept) ? 'ndjson' : 'sse',
        settings,
        requestStart,
        heartbeatMs,
        extraHeaders,
        onHold: (ms) => hold.observe(ms / 1000),
      });
      outcome = await pumpStream({ opts, state, metrics, request, env, settings, writer, stop, cut: () => res.destroy() }, source);
    } finally {
      state.shutdown.signal.removeEventListener('abort', onShutdown);
      res.removeListener('close', onClose);
      if (!stop.signal.aborted) stop.controller.abort('done');
      state.streamClosed(outcome);
    }
  };
}

export interface StreamPump {
  opts: ServerOptions;
  state: ServerState;
  metrics: ServerMetrics;
  request: Pick<FastifyRequest, 'log' | 'ip' | 'headers'>;
  env: Envelope;
  settings: FlushSettings;
  writer: StreamWriter;
  stop: StreamEnd;
  /** Cuts off a client that stopped reading (stall, overflow): its connection, or its WebSocket with every operation on it. */
  cut: () => void;
}

/**
 * The pump of POST /send_operation and GET /ws alike: starts the writer, pulls payloads from the
 * source into it until the source ends or fails, the client goes away, the server shuts down or
 * the client stops reading (more than --max-queued-kib unread for OVERFLOW_WAIT_MS: `overflow`;
 * anything unread for the stall timeout: `timeout`). Then ends the stream by its cause, counts
 * and logs it, and returns its outcome.
 */
export async function pumpStream(p: StreamPump, source: AsyncIterable<Payload>): Promise<StreamOutcome> {
  const { opts, state, metrics, request, env, settings, writer, stop } = p;
  const stallMs = opts.stallTimeoutS * 1000;
  writer.start();
  state.writers.add(writer);
  try {
    let failure: ErrorPayload | undefined;
    try {
      for await (const payload of source) {
        if (payload.type === 'error') metrics.errors.inc({ code: payload.code });
        writer.push(payload);
        if (!writer.backedUp) continue;
        if (writer.bufferedBytes > opts.maxQueuedBytes && !(await drainedWithin(writer, Math.min(OVERFLOW_WAIT_MS, stallMs), stop.signal))) {
          stop.end('overflow');
          break;
        }
        if (writer.backedUp && !(await drainedWithin(writer, stallMs, stop.signal))) {
          stop.end('stall');
          break;
        }
      }
    } catch (err) {
      if (stop.cause === null) {
        failure = { type: 'error', code: 'NBS_SOURCE_FAILED', message: `the ${env.operation.type} source failed: ${(err as Error).message}` };
        metrics.errors.inc({ code: failure.code });
        request.log.warn({ err }, 'stream source failed');
      }
    }
    const cause = stop.take();
    if (cause === 'client_closed' || cause === 'overflow') {
      // Nothing more reaches this client: no `done` (an overflowing one would not read it either).
      writer.abandon();
      if (cause === 'overflow') p.cut();
      metrics.streamEnded(env.operation.type, settings.policy, cause, writer.stats());
      logStream(
        request,
        env,
        settings,
        writer.stats(),
        cause,
        cause === 'overflow' ? `client left more than ${opts.maxQueuedBytes} bytes unread for ${OVERFLOW_WAIT_MS} ms (the per-stream queue limit)` : 'client disconnected: source cancelled',
      );
      return cause;
    }
    const summary =
      cause === 'shutdown'
        ? writer.finish({ status: 'shutdown', reason: 'server shutting down' })
        : cause === 'cancelled'
          ? writer.finish({ status: 'aborted', reason: 'cancelled by the client' })
          : cause === 'stall'
            ? writer.finish({ status: 'timeout', reason: `client read nothing for ${opts.stallTimeoutS} s (stall timeout)` })
            : writer.finish(failure === undefined ? undefined : { status: 'error', reason: failure.message, error: failure });
    if (cause === 'stall') p.cut();
    metrics.streamEnded(env.operation.type, settings.policy, summary.status, summary.stats);
    logStream(request, env, settings, summary.stats, summary.status, summary.reason, summary.maxHoldMs);
    return summary.status;
  } finally {
    state.writers.delete(writer);
  }
}

/** Headers hooks set on the reply (CORS) that a hijacked response must still send. */
function headersOf(reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) out[k] = String(v);
  return out;
}

/** Waits for the socket to drain; false when `ms` passed first (the client stopped reading). */
export function drainedWithin(writer: StreamWriter, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve(false);
    }, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(true);
    }
    writer.waitForDrain().then(done, done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function logStream(
  request: Pick<FastifyRequest, 'log' | 'ip' | 'headers'>,
  env: { notebookId: string; operation: { type: string } },
  settings: FlushSettings,
  stats: ReturnType<StreamWriter['stats']>,
  outcome: string,
  reason: string | undefined,
  maxHoldMs?: number,
): void {
  // One line per stream with the words the guide tells operators to grep for: stream, buffer, timeout.
  request.log.info(
    {
      notebook_id: env.notebookId,
      remote: request.ip,
      ...(typeof request.headers['x-forwarded-for'] === 'string' ? { forwarded_for: request.headers['x-forwarded-for'] } : {}),
      operation: env.operation.type,
      policy: settings.policy,
      buffer: { chars: settings.bufferChars, flush_interval_ms: settings.flushIntervalMs, min_chars: settings.minChars, max_hold_ms: maxHoldMs === undefined ? null : Math.round(maxHoldMs * 1000) / 1000 },
      kernel_timeout_ms: settings.kernelWaitMs,
      server_first_chunk_ms: stats.server_first_chunk_ms,
      events: stats.events,
      bytes: stats.bytes,
      writes: stats.writes,
      outcome,
      ...(reason === undefined ? {} : { reason }),
    },
    `stream ${outcome}`,
  );
}
