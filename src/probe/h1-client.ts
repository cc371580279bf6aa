import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { buildConnector, Dispatcher } from 'undici';
import { ProbeError } from './error-kind.js';
import { H1ResponseParser, Parsed, type H1ResponseSink } from './h1-response-parser.js';

/** What a load connection needs of a client: undici's `Client` and `H1Client` both are one. */
export interface DispatchTarget {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  destroy(): Promise<void>;
}

export interface H1ClientOptions {
  /** Opens the socket (undici's `buildConnector`: connect timeout, TLS trust, ALPN http/1.1). */
  connect: buildConnector.connector;
  /** From the request's write to the end of the response head (undici's `headersTimeout`). */
  headersTimeout: number;
  /** Longest silence between body reads (undici's `bodyTimeout`). */
  bodyTimeout: number;
}

/** Methods whose request carries content: undici sends `content-length: 0` for them without a body. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);

/** Request bytes by dispatch options: built once per spec (stream-client.ts caches the options object). */
const requestBytes = new WeakMap<Dispatcher.DispatchOptions, Buffer>();

/**
 * The bytes undici's client-h1 would write for these options (method, path, `host`, `connection`,
 * the headers, `content-length`, the body), built once: a load run sends the same request
 * thousands of times a second. The spec's headers were checked for CR/LF when it was built
 * (build-request-spec.ts); `content-length` and `transfer-encoding` are ours to set.
 */
function bytesOf(options: Dispatcher.DispatchOptions, host: string): Buffer {
  const cached = requestBytes.get(options);
  if (cached !== undefined) return cached;
  const method = options.method.toUpperCase();
  const headers = (options.headers ?? {}) as Record<string, string | string[] | undefined>;
  const body = options.body === null || options.body === undefined ? null : (options.body as Buffer);
  let head = `${method} ${options.path} HTTP/1.1\r\nhost: ${typeof headers['host'] === 'string' ? headers['host'] : host}\r\n`;
  head += options.reset === true || method === 'HEAD' ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || key === 'host' || key === 'connection' || key === 'content-length' || key === 'transfer-encoding') continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  if (body !== null || EXPECTS_PAYLOAD.has(method)) head += `content-length: ${body?.length ?? 0}\r\n`;
  const bytes = Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
  requestBytes.set(options, bytes);
  return bytes;
}

/** One request on the connection: its handler, and the controller undici would hand it. */
class Exchange implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(
    readonly owner: H1Client,
    readonly options: Dispatcher.DispatchOptions,
    readonly handler: Dispatcher.DispatchHandler,
  ) {}

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.owner.fail(this, reason);
  }

  pause(): void {
    this.paused = true;
    this.owner.pauseReads(this);
  }

  resume(): void {
    this.paused = false;
    this.owner.resumeReads(this);
  }
}

/**
 * An HTTP/1.1 client on one connection, one request at a time, for bench's load model (issue 31):
 * the request's bytes are built once and written in one call, the response is parsed in place
 * (h1-response-parser.ts), and the measuring handler is the same undici `DispatchHandler` that
 * undici's `Client` drives (stream-client.ts's RequestRun), so what is measured does not depend on
 * which client carried it. undici's request path (its Request object, header validation and
 * string building per request, llhttp through WebAssembly) cost more client CPU per request than
 * autocannon spends in all (docs/performance.md). Requests dispatched while one is in flight wait
 * in order, as in a `Client` with `pipelining: 1`; HTTP/2 stays with undici.
 */
export class H1Client implements DispatchTarget, H1ResponseSink {
  private socket: Socket | null = null;
  private connecting = false;
  private current: Exchange | null = null;
  private queue: Exchange[] = [];
  private readonly parser = new H1ResponseParser(this);
  private readonly host: string;
  private readonly hostname: string;
  private destroyed = false;
  /** The current timeout: what it is for and when it expires (`performance.now()` ms). */
  private deadline = Infinity;
  private deadlineKind: 'headers_timeout' | 'idle_timeout' = 'headers_timeout';
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly onTimer = () => this.checkDeadline();
  private readonly onData = (chunk: Buffer) => this.read(chunk);

  constructor(
    private readonly origin: URL,
    private readonly options: H1ClientOptions,
  ) {
    this.host = origin.host;
    // A bracketed IPv6 literal is connected to without its brackets (as undici's client.js does).
    this.hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.destroyed) throw new ProbeError('aborted', 'the client was closed');
    const ex = new Exchange(this, options, handler);
    if (this.current === null && this.queue.length === 0) this.start(ex);
    else this.queue.push(ex);
    return true;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    const err = new ProbeError('aborted', 'the client was closed');
    const pending = [...(this.current !== null ? [this.current] : []), ...this.queue];
    this.queue = [];
    for (const ex of pending) ex.abort(err);
    this.dropSocket();
  }

  /** Called by an Exchange's `abort`: it ends now with `reason`, and its connection with it once it was sent. */
  fail(ex: Exchange, reason: Error): void {
    if (this.current === ex) {
      this.current = null;
      // A request on the wire leaves the connection mid-response: it cannot carry another.
      if (this.socket !== null && !this.connecting) this.dropSocket();
      ex.handler.onResponseError?.(ex, reason);
      this.next();
      return;
    }
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
    ex.handler.onResponseError?.(ex, reason);
  }

  pauseReads(ex: Exchange): void {
    if (this.current === ex) this.socket?.pause();
  }

  resumeReads(ex: Exchange): void {
    if (this.current === ex) this.socket?.resume();
  }

  // H1ResponseSink: the parser's output, for the request in flight.
  onHead(status: number, statusText: string, headers: Record<string, string | string[]>): boolean {
    const ex = this.current!;
    this.setDeadline('idle_timeout', performance.now() + this.options.bodyTimeout);
    ex.handler.onResponseStart?.(ex, status, headers, statusText);
    return this.current === ex;
  }

  onBody(chunk: Buffer): boolean {
    const ex = this.current!;
    ex.handler.onResponseData?.(ex, chunk);
    return this.current === ex;
  }

  private start(ex: Exchange): void {
    this.current = ex;
    if (this.socket !== null) this.send(ex);
    else if (!this.connecting) this.connect();
  }

  private next(): void {
    if (this.current !== null || this.destroyed) return;
    const ex = this.queue.shift();
    if (ex !== undefined) this.start(ex);
  }

  private connect(): void {
    this.connecting = true;
    const url = this.origin;
    const params = { host: this.host, hostname: this.hostname, protocol: url.protocol, port: url.port, servername: null, localAddress: null };
    this.options.connect(params as unknown as buildConnector.Options, (err, socket) => {
      this.connecting = false;
      if (err !== null || socket === null) {
        const ex = this.current;
        if (ex !== null) ex.abort(err ?? new ProbeError('reset', 'no socket'));
        return;
      }
      const s = socket as Socket;
      if (this.destroyed) {
        s.destroy();
        return;
      }
      this.socket = s;
      s.on('data', this.onData);
      s.on('error', (e: Error) => this.socketEnded(s, e));
      s.on('end', () => this.socketEnded(s, null));
      s.on('close', () => this.socketEnded(s, null));
      const ex = this.current;
      if (ex !== null) this.send(ex);
    });
  }

  private send(ex: Exchange): void {
    const socket = this.socket!;
    ex.handler.onRequestStart?.(ex, {});
    if (this.current !== ex) return; // aborted by the handler before it was written
    this.parser.reset(ex.options.method.toUpperCase() === 'HEAD');
    this.setDeadline('headers_timeout', performance.now() + this.options.headersTimeout);
    socket.write(bytesOf(ex.options, this.host));
  }

  private read(chunk: Buffer): void {
    const ex = this.current;
    if (ex === null) {
      // Bytes with no request in flight: the server broke the exchange; this connection is done.
      this.dropSocket();
      return;
    }
    if (this.deadlineKind === 'idle_timeout') this.deadline = performance.now() + this.options.bodyTimeout;
    let parsed: Parsed;
    try {
      parsed = this.parser.push(chunk);
    } catch (err) {
      ex.abort(err as Error);
      return;
    }
    if (parsed === Parsed.End && this.current === ex) this.complete(ex, this.parser.rest < chunk.length);
  }

  /** The response ended: the connection serves the next request unless it must close. */
  private complete(ex: Exchange, extraBytes: boolean): void {
    this.current = null;
    this.deadline = Infinity;
    if (this.parser.close || ex.options.reset === true || extraBytes) this.dropSocket();
    ex.handler.onResponseEnd?.(ex, {});
    this.next();
  }

  private socketEnded(socket: Socket, err: Error | null): void {
    if (socket !== this.socket) return;
    this.socket = null;
    socket.destroy();
    const ex = this.current;
    if (ex === null) return;
    if (err === null && this.parser.eof()) this.complete(ex, false);
    else ex.abort(err ?? new ProbeError('reset', this.parser.inBody ? 'the server closed the connection before the response ended' : 'the server closed the connection before it answered'));
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.destroy();
  }

  /**
   * One timer per connection, re-armed only when it fires early or a nearer deadline comes: a
   * read moves the idle deadline with one assignment, not a timer call (undici's fast timers make
   * the same trade with coarser precision).
   */
  private setDeadline(kind: 'headers_timeout' | 'idle_timeout', at: number): void {
    this.deadlineKind = kind;
    this.deadline = at;
    if (this.timer === null || at < this.timerAt) this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - performance.now())));
    this.timer.unref();
  }

  private checkDeadline(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const ex = this.current;
    if (ex === null || this.deadline === Infinity || this.connecting) return;
    const now = performance.now();
    if (now < this.deadline) {
      this.arm(this.deadline);
      return;
    }
    const ms = this.deadlineKind === 'headers_timeout' ? this.options.headersTimeout : this.options.bodyTimeout;
    ex.abort(
      new ProbeError(
        this.deadlineKind,
        this.deadlineKind === 'headers_timeout' ? `no response headers within ${ms} ms` : `no body bytes for ${ms} ms`,
      ),
    );
  }
}
