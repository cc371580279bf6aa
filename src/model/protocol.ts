/**
 * The wire format of the embedded server (docs/protocol.md, "Response"), shared by the server that
 * writes it and the probes that read it. Pure data and types: importing this loads nothing heavy.
 */

/** Event names on the wire, in SSE `event:` lines and NDJSON `"event"` keys. */
export const EVENT_NAMES = ['chunk', 'stdout', 'stderr', 'display', 'error', 'done'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Event types whose payload is text that a flush policy may coalesce. */
export type TextEventName = 'chunk' | 'stdout' | 'stderr';

/** How a stream ended (`done.status`). */
export type DoneStatus = 'ok' | 'error' | 'aborted' | 'timeout' | 'shutdown';

/**
 * `done.stats`: what the server wrote for this stream.
 * - `events`, `bytes`: events and body bytes written before `done` (the `done` event itself is not
 *   counted: it cannot count its own size).
 * - `writes`: `write()` calls on the response body, counting the one that carries `done`, not the
 *   header flush and not heartbeats.
 * - `server_first_chunk_ms`: request received → first content event written, or null if none.
 */
export interface DoneStats {
  events: number;
  bytes: number;
  writes: number;
  server_first_chunk_ms: number | null;
}

/** Every event's data starts with these keys, in this order. */
export interface EventStamp {
  seq: number;
  /** Server clock (ms, 3 decimals) when the flush policy released the event into a write. */
  t: number;
  /** Server clock (ms, 3 decimals) when the source produced the oldest payload in the event. */
  t_src: number;
}

export interface DoneEvent extends EventStamp {
  status: DoneStatus;
  reason?: string;
  execution_count?: number | null;
  usage?: Record<string, unknown>;
  finish_reason?: string | null;
  stats: DoneStats;
}

/** Stable error codes (docs/protocol.md, "Errors"), with their HTTP status. */
export const ERROR_STATUS = {
  NBS_BAD_JSON: 400,
  NBS_INVALID_BODY: 400,
  NBS_UNSUPPORTED_MEDIA_TYPE: 415,
  NBS_BODY_TOO_LARGE: 413,
  NBS_NOT_FOUND: 404,
  NBS_BAD_REQUEST: 400,
  NBS_HEADERS_TOO_LARGE: 431,
  NBS_REQUEST_TIMEOUT: 408,
  NBS_METHOD_NOT_ALLOWED: 405,
  NBS_UNKNOWN_OPERATION: 400,
  NBS_UNKNOWN_POLICY: 400,
  NBS_UNKNOWN_FIXTURE: 400,
  NBS_UNAUTHORIZED: 401,
  NBS_HOST_NOT_ALLOWED: 403,
  NBS_ORIGIN_NOT_ALLOWED: 403,
  NBS_TOO_MANY_STREAMS: 503,
  NBS_TOO_MANY_KERNELS: 503,
  NBS_SHUTTING_DOWN: 503,
  NBS_JUPYTER_UNAVAILABLE: 503,
  NBS_UNKNOWN_KERNEL: 400,
  NBS_KERNEL_START_FAILED: 502,
  NBS_KERNEL_DIED: 500,
  NBS_LLM_NOT_CONFIGURED: 503,
  NBS_LLM_AUTH: 502,
  NBS_LLM_MODEL_NOT_FOUND: 400,
  NBS_LLM_RATE_LIMITED: 429,
  NBS_LLM_UPSTREAM: 502,
  NBS_LLM_STALLED: 504,
  NBS_SOURCE_FAILED: 500,
  NBS_INTERNAL: 500,
} as const;
export type NbsErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of a request refused before any stream started. */
export interface ErrorBody {
  error: { code: NbsErrorCode; message: string };
}

/** `serve --compress`: which Content-Encoding a stream may get (docs/protocol.md, "Compression"). */
export const COMPRESS_MODES = ['off', 'gzip', 'br', 'auto'] as const;
export type CompressMode = (typeof COMPRESS_MODES)[number];

/** The WebSocket endpoint and its subprotocol (docs/protocol.md, "WebSocket"). */
export const WS_PATH = '/ws';
export const WS_SUBPROTOCOL = 'notebook-stream';
/** A `Sec-WebSocket-Protocol` value carrying the token: `bearer.` + base64url(token). Browsers cannot set Authorization. */
export const WS_TOKEN_PREFIX = 'bearer.';

/** `Content-Type` of the two stream formats. */
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/**
 * The streaming headers (docs/protocol.md, "Flush policies"). `no-transform` keeps proxies and CDNs from
 * compressing (and so buffering) the body (RFC 9111 §5.2.2.6); `X-Accel-Buffering: no` turns off
 * nginx's proxy buffering for this response. `Connection`/`Keep-Alive` are added by Node on
 * HTTP/1.1 only: they are forbidden on HTTP/2 (RFC 9113 §8.2.2).
 */
export const STREAMING_HEADERS: Readonly<Record<string, string>> = {
  'content-type': SSE_CONTENT_TYPE,
  'cache-control': 'no-cache, no-store, must-revalidate, no-transform',
  pragma: 'no-cache',
  expires: '0',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
};

/** What the guide's old backend sent: a plain chunked body, no anti-buffering headers. */
export const PLAIN_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
};
