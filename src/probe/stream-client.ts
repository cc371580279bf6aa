import { field, ft, renderFieldText } from '../model/field-text.js';
import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { createParser, formatFromContentType } from './body-format.js';
import { BodyDecoder, DECODABLE_ENCODINGS } from './body-decoder.js';
import { errorKind, ProbeError } from './error-kind.js';
import type { BodyParser, EventSink } from './event-sink.js';
import { eventFacts, recordEvent, type EventFacts } from './event-facts.js';
import { blankRecord, type IntegrityKind, type StreamRecord } from '../model/record.js';
import type { RequestSpec } from './request-spec.js';
import { specConnector } from './connector.js';
import { SniffingParser } from './sniffing-parser.js';
import { judgeIntegrity } from './stream-integrity.js';

const connectedChannel = diagnostics.channel('undici:client:connected');

/** Methods a client may send again after a failure (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Whether a failed request is sent once more on a new connection, by either client: a reset
 * before any response on a reused keep-alive connection (the server closed it between requests,
 * RFC 9112 §9.3.1), for idempotent methods only (RFC 9110 §9.2.2). The second try is a reconnect.
 */
export function retriesOnNewConnection(spec: RequestSpec, r: StreamRecord): boolean {
  return r.error?.kind === 'reset' && r.status === null && r.reusedConnection && IDEMPOTENT.has(spec.method.toUpperCase());
}

/**
 * Sees every event's data as it is timed (doctor reads the text of each event to count tokens per
 * event). Optional: bench and load pass none, so their hot path does no extra work per event.
 */
export type EventObserver = (type: string, data: string) => void;

/** Compressed reads queued for the decoder before the socket is paused. */
const MAX_DECODER_BACKLOG = 64;

/**
 * Runs requests one after another on one undici Client (one keep-alive connection, or a new one per
 * request with keepAlive off). Built on `Dispatcher#dispatch`, not `fetch`: its callbacks run when
 * the bytes are read, so times are taken where they happen.
 */
export class StreamClient {
  private readonly client: Client;
  private readonly connector: buildConnector.connector;
  /** Sockets our connector opened: how the diagnostics channel's messages are told apart. */
  private readonly sockets = new WeakSet<object>();
  private current: RequestRun | null = null;
  private httpVersion: '1.1' | '2' | null = null;
  private readonly onConnected = (message: unknown) => {
    const m = message as { socket?: object; connectParams?: { version?: string } };
    if (m.socket === undefined || !this.sockets.has(m.socket)) return;
    this.httpVersion = m.connectParams?.version === 'h2' ? '2' : '1.1';
    this.current?.connected(this.httpVersion);
  };

  constructor(
    private readonly spec: RequestSpec,
    private readonly observer: EventObserver | null = null,
  ) {
    const base = specConnector(spec);
    // undici wraps a custom connector, so its identity is lost; the sockets it returns are not.
    this.connector = (options, callback) =>
      base(options, (err, socket) => {
        if (socket !== null && socket !== undefined) this.sockets.add(socket);
        (callback as (e: Error | null, s: unknown) => void)(err, socket);
      });
    this.client = new Client(spec.url.origin, {
      connect: this.connector,
      allowH2: spec.http2,
      headersTimeout: spec.headersTimeoutMs,
      bodyTimeout: spec.idleTimeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    });
    connectedChannel.subscribe(this.onConnected);
  }

  /**
   * Measures one request. Never throws for a failed request: the record carries the error. Sent
   * once more on a new connection when `retriesOnNewConnection` says so, timed from then (one
   * request after another: the failed try is not the server's time).
   */
  async request(index: number, warmup: boolean, originMs = performance.now()): Promise<StreamRecord> {
    const first = await this.requestOnce(index, warmup, originMs);
    if (!retriesOnNewConnection(this.spec, first)) return first;
    const again = await this.requestOnce(index, warmup, performance.now());
    again.reconnected = true;
    return again;
  }

  private requestOnce(index: number, warmup: boolean, originMs: number): Promise<StreamRecord> {
    return new Promise((resolve) => {
      const run = new RequestRun(
        this.spec,
        index,
        warmup,
        originMs,
        this.httpVersion,
        (record) => {
          this.current = null;
          resolve(record);
        },
        this.observer,
      );
      this.current = run;
      run.start(this.client);
    });
  }

  /** Ends the request in flight as `aborted` (an interrupted run keeps what it measured). */
  abort(): void {
    this.current?.abortAs(new ProbeError('aborted', 'the run was interrupted'));
  }

  async close(): Promise<void> {
    connectedChannel.unsubscribe(this.onConnected);
    await this.client.destroy().catch(() => {});
  }
}

const dispatchCache = new WeakMap<RequestSpec, { url: URL; body: RequestSpec['body']; options: Dispatcher.DispatchOptions }>();

/**
 * A spec's dispatch options, built once and shared by all its requests (issue 31: no per-request
 * work that can be done once; URL getters and a string body's encoding are not free). undici reads
 * them and never writes them. Rebuilt if the spec's URL or body was replaced since (openai-request.ts
 * sets the body after a first request). Headers are final before a spec's first request (its
 * builders set them) and never change after: h1-client.ts keeps the request's bytes per options.
 */
function dispatchOptions(spec: RequestSpec): Dispatcher.DispatchOptions {
  const cached = dispatchCache.get(spec);
  if (cached !== undefined && cached.url === spec.url && cached.body === spec.body) return cached.options;
  const url = spec.url;
  const options: Dispatcher.DispatchOptions = {
    // A Client ignores the origin; it names where the request goes in errors.
    origin: url.origin,
    path: url.pathname + url.search,
    method: spec.method as Dispatcher.HttpMethod,
    headers: spec.headers,
    body: typeof spec.body === 'string' ? Buffer.from(spec.body) : spec.body,
    // keepAlive off: `Connection: close`, a new connection per request, as curl does.
    reset: !spec.keepAlive,
    headersTimeout: spec.headersTimeoutMs,
    bodyTimeout: spec.idleTimeoutMs,
  };
  dispatchCache.set(spec, { url, body: spec.body, options });
  return options;
}

export const INTEGRITY_MESSAGES: Record<IntegrityKind, string> = {
  stream_error: 'the stream carried an error event',
  error_body: 'the response body was an error object',
  stream_cut: 'the stream ended before its terminator ([DONE] or done)',
  heartbeat_missing: 'no heartbeat arrived while the source was silent for longer than the heartbeat interval',
};

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** One request's handler: undici's new-style DispatchHandler and the parser's sink (load-client.ts extends it). */
export class RequestRun implements Dispatcher.DispatchHandler, EventSink {
  protected readonly record: StreamRecord;
  private controller: Dispatcher.DispatchController | null = null;
  private parser: BodyParser | null = null;
  private decoder: BodyDecoder | null = null;
  private readonly facts: EventFacts = { name: '', content: false, t: NaN, tSrc: NaN, stats: null };
  private inRead = false;
  /** The read (index, arrival) whose bytes the parser is consuming now. */
  private read = -1;
  private readUs = 0;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private readonly endRead = () => {
    this.inRead = false;
  };

  constructor(
    private readonly spec: RequestSpec,
    index: number,
    warmup: boolean,
    originMs: number,
    httpVersion: '1.1' | '2' | null,
    private readonly done: (record: StreamRecord) => void,
    private readonly observer: EventObserver | null = null,
  ) {
    this.record = blankRecord(index, warmup, originMs, { httpVersion, keepAlive: spec.keepAlive });
  }

  protected now(): number {
    return Math.round((performance.now() - this.record.originMs) * 1000);
  }

  start(client: Pick<Dispatcher, 'dispatch'>): void {
    this.arm();
    this.send(client);
  }

  /** The request begins: its start time, and its timeout (which covers any wait for a connection). */
  arm(): void {
    this.record.startUs = this.now();
    this.timer = setTimeout(() => {
      this.abort(new ProbeError('request_timeout', `no complete response within ${this.spec.requestTimeoutMs} ms`));
    }, this.spec.requestTimeoutMs);
  }

  /** Hands the request to its client, undici's or h1-client.ts's (at once, or when load-client.ts has a connection for it). */
  send(client: Pick<Dispatcher, 'dispatch'>): void {
    if (this.finished) return;
    try {
      client.dispatch(dispatchOptions(this.spec), this);
    } catch (err) {
      this.finish(err);
    }
  }

  connected(version: '1.1' | '2'): void {
    this.record.connectUs = this.now();
    this.record.reusedConnection = false;
    this.record.httpVersion = version;
  }

  abortAs(err: Error): void {
    this.abort(err);
  }

  private abort(err: Error): void {
    if (this.finished) return;
    if (this.controller !== null && !this.controller.aborted) this.controller.abort(err);
    else this.finish(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Timed out while still queued or connecting: do not let it hold the connection.
    if (this.finished) controller.abort(new ProbeError('request_timeout', 'request timed out before it was sent'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx informational (RFC 9110 §15.2): the final response follows.
    const r = this.record;
    r.headersUs = this.now();
    r.status = statusCode;
    r.contentType = headerValue(headers, 'content-type');
    r.contentEncoding = headerValue(headers, 'content-encoding').trim().toLowerCase();
    // 3xx too: the probe does not follow redirects, so a redirect measured nothing of the stream.
    if (statusCode >= 300) {
      this.abort(new ProbeError('http_status', `HTTP ${statusCode}`));
      return;
    }
    const encodings = r.contentEncoding.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'identity');
    if (encodings.length > 1 || (encodings.length === 1 && !(DECODABLE_ENCODINGS as readonly string[]).includes(encodings[0]!))) {
      this.abort(new ProbeError('undecodable_encoding', `cannot decode Content-Encoding: ${r.contentEncoding}`));
      return;
    }
    const format = formatFromContentType(this.spec.format, r.contentType);
    this.parser = format === null ? new SniffingParser(this, this.spec.maxEventBytes) : createParser(format, this, this.spec.maxEventBytes);
    r.format = format;
    if (encodings.length === 1) {
      this.decoder = new BodyDecoder(
        encodings[0]!,
        (chunk, read, arrivalUs) => this.parse(chunk, read, arrivalUs),
        () => {
          if (this.controller?.paused === true && !this.finished) this.controller.resume();
        },
      );
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.finished) return;
    const r = this.record;
    if (!this.inRead) {
      // One synchronous parser run is one read (docs/metrics.md, "Conventions"): undici calls back once per HTTP/1.1
      // chunk, and several chunks of one socket read arrive in the same run.
      this.inRead = true;
      queueMicrotask(this.endRead);
      this.readUs = this.now();
      this.read = r.reads++;
      r.eventsPerRead.push(0);
      if (r.firstByteUs === null) r.firstByteUs = this.readUs;
    }
    r.wireBytes += chunk.length;
    if (this.decoder !== null) {
      this.decoder.write(chunk, this.read, this.readUs);
      // zlib runs off-thread: stop reading while it is far behind, so memory stays bounded.
      if (this.decoder.backlog > MAX_DECODER_BACKLOG) this.controller?.pause();
    } else {
      this.parse(chunk, this.read, this.readUs);
    }
  }

  private parse(chunk: Buffer, read: number, arrivalUs: number): void {
    if (this.finished || this.parser === null) return;
    const prevRead = this.read;
    const prevUs = this.readUs;
    this.read = read;
    this.readUs = arrivalUs;
    this.record.bytes += chunk.length;
    const ok = this.parser.push(chunk);
    this.read = prevRead;
    this.readUs = prevUs;
    if (!ok) {
      this.abort(new ProbeError('event_too_large', renderFieldText(ft`an event or line exceeded ${field('maxEventBytes')} (${this.spec.maxEventBytes})`, this.spec.names)));
    }
  }

  onEvent(type: string, data: string, bytes: number): void {
    recordEvent(this.record, eventFacts(type, data, this.spec.serverTime, this.facts), this.read, this.readUs, bytes);
    if (this.observer !== null) this.observer(type, data);
  }

  onComment(): void {
    this.record.comments++;
    this.record.heartbeatsUs.push(this.readUs);
  }

  onResponseEnd(): void {
    if (this.finished) return;
    const endUs = this.now();
    const complete = () => {
      this.parser?.end();
      this.record.endUs = endUs;
      this.finish(null);
    };
    if (this.decoder === null) complete();
    else this.decoder.end().then(complete, (err: unknown) => this.finish(err));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(err);
  }

  private finish(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.decoder?.destroy();
    const r = this.record;
    if (r.endUs === 0) r.endUs = this.now();
    if (this.parser !== null) {
      r.invalidUtf8 = this.parser.invalidUtf8;
      if (this.parser instanceof SniffingParser) r.format = this.parser.format;
    }
    if (err !== null && err !== undefined) {
      const message = err instanceof Error ? err.message : String(err);
      r.error = { kind: errorKind(err), message };
    } else if (r.status !== null) {
      // The transport succeeded: was the stream whole? (docs/metrics.md, "Stream integrity")
      const checks = this.spec.streamChecks;
      r.integrity = judgeIntegrity(r, checks?.heartbeatMs ?? null);
      if (r.integrity !== null && checks?.strict === true) r.error = { kind: r.integrity, message: INTEGRITY_MESSAGES[r.integrity] };
    }
    this.done(r);
  }
}

