import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

/**
 * What bench's record does not keep and the header checks need: every response header as sent,
 * the status line's HTTP version, and when each body chunk arrived (heartbeats included). Taken
 * from undici's public diagnostics channels (docs/api/DiagnosticsChannel.md), so the measuring
 * client stays as it is:
 * - `undici:request:headers` → status and raw headers (HTTP/1.1 and HTTP/2);
 * - `undici:request:bodyChunkReceived` → one call per body chunk;
 * - `undici:client:connected` → the socket; on HTTP/1.x a `data` listener sees the bytes undici
 *   reads (with a `readable` listener present, `data` fires on each `read()` without changing the
 *   flow: Node's stream docs), which is the only place the status line's version is visible.
 */
export interface CapturedResponse {
  status: number | null;
  /** `HTTP/1.0`, `HTTP/1.1` from the status line; null on HTTP/2 or when not seen. */
  statusLineVersion: string | null;
  /** Header names lower-case, in order, repeats kept. */
  headers: Array<[string, string]>;
  /** performance.now() (ms) of each body chunk undici delivered. */
  chunkAtMs: number[];
  chunkBytes: number[];
}

interface UndiciRequestLike {
  origin?: unknown;
  path?: unknown;
}

const headersChannel = diagnostics.channel('undici:request:headers');
const bodyChannel = diagnostics.channel('undici:request:bodyChunkReceived');
const connectedChannel = diagnostics.channel('undici:client:connected');

function asText(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map(asText).join(', ');
  return String(v);
}

/** Starts capturing the response to `url` (its origin and path); call `stop()` when the request ended. */
export function captureResponse(url: URL): { result: CapturedResponse; stop(): void } {
  const origin = url.origin;
  const path = url.pathname + url.search;
  const result: CapturedResponse = { status: null, statusLineVersion: null, headers: [], chunkAtMs: [], chunkBytes: [] };
  let ours: object | null = null;
  const matches = (req: UndiciRequestLike) => {
    const o = typeof req.origin === 'string' ? req.origin : req.origin instanceof URL ? req.origin.origin : String(req.origin);
    return o.replace(/\/$/, '') === origin && req.path === path;
  };
  const onHeaders = (message: unknown) => {
    const m = message as { request: UndiciRequestLike; response: { statusCode: number; headers: unknown[] } };
    if (ours !== null || !matches(m.request)) return;
    if (m.response.statusCode < 200) return;
    ours = m.request;
    result.status = m.response.statusCode;
    const raw = m.response.headers;
    for (let i = 0; i + 1 < raw.length; i += 2) result.headers.push([asText(raw[i]).toLowerCase(), asText(raw[i + 1])]);
  };
  const onBody = (message: unknown) => {
    const m = message as { request: object; chunk: Buffer };
    if (m.request !== ours) return;
    result.chunkAtMs.push(performance.now());
    result.chunkBytes.push(m.chunk.length);
  };
  const onConnected = (message: unknown) => {
    const m = message as { socket?: NodeJS.EventEmitter; connectParams?: { version?: string; hostname?: string; port?: string | number } };
    if (m.socket === undefined || m.connectParams?.version === 'h2') return;
    const port = String(m.connectParams?.port ?? '');
    const want = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
    if (port !== '' && port !== want) return;
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1', 0, Math.min(chunk.length, 64));
      const m2 = /^(HTTP\/\d(?:\.\d)?) \d{3}/.exec(head);
      if (m2 !== null || head.length >= 16) {
        if (m2 !== null && result.statusLineVersion === null) result.statusLineVersion = m2[1]!;
        m.socket!.removeListener('data', onData);
      }
    };
    m.socket.on('data', onData);
  };
  headersChannel.subscribe(onHeaders);
  bodyChannel.subscribe(onBody);
  connectedChannel.subscribe(onConnected);
  return {
    result,
    stop() {
      headersChannel.unsubscribe(onHeaders);
      bodyChannel.unsubscribe(onBody);
      connectedChannel.unsubscribe(onConnected);
    },
  };
}

/** All values of one header, joined with ", " (RFC 9110 §5.3); null when absent. */
export function headerOf(headers: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  const values = headers.filter(([n]) => n === name).map(([, v]) => v);
  return values.length === 0 ? null : values.join(', ');
}
