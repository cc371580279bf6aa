import type { DoneStats } from './protocol.js';
import type { BodyFormat } from './body-formats.js';
import { Timeline } from './timeline.js';

/** The error kinds a transport-successful stream can still earn (stream-integrity.ts judges them). */
export const INTEGRITY_KINDS = ['stream_error', 'error_body', 'stream_cut', 'heartbeat_missing'] as const;

/** Error kinds of docs/metrics.md, in its order. */
export const ERROR_KINDS = [
  'connect_refused',
  'connect_timeout',
  'dns',
  'tls',
  'headers_timeout',
  'idle_timeout',
  'request_timeout',
  'http_status',
  'reset',
  'protocol',
  'undecodable_encoding',
  'event_too_large',
  // Stream integrity (docs/metrics.md, "Stream integrity"): failures with --strict-streams only.
  ...INTEGRITY_KINDS,
  'dropped',
  'aborted',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export type IntegrityKind = (typeof INTEGRITY_KINDS)[number];

/**
 * One request, as measured. Times are integer µs from the request's intended start on a monotonic
 * clock (docs/metrics.md); a time the request never reached is null.
 */
export interface StreamRecord {
  /** 0-based position in the run, warmup included. */
  index: number;
  /** Warmup requests are measured but left out of every statistic. */
  warmup: boolean;
  /** `performance.now()` (ms) at the intended start: the origin of every `…Us` below. */
  originMs: number;
  /** Actual start − intended start (0 in a closed loop, except for the dispatch itself). */
  startUs: number;
  /** TCP (and TLS) connection established; null when the request reused a kept-alive connection. */
  connectUs: number | null;
  /** Status line and headers complete. */
  headersUs: number | null;
  /** First body byte read from the socket. */
  firstByteUs: number | null;
  /** Arrival of the first event of any kind (`done` included, comments not). */
  firstEventUs: number | null;
  /** Arrival of the first event carrying payload (docs/metrics.md, "Conventions"). */
  firstContentUs: number | null;
  /** Response complete, or the error. */
  endUs: number;
  /** HTTP status, or null when none arrived. */
  status: number | null;
  /** `1.1` or `2`. */
  httpVersion: '1.1' | '2' | null;
  /** True when the request asked to keep the connection open for the next one. */
  keepAlive: boolean;
  /** True when it ran on a connection an earlier request opened. */
  reusedConnection: boolean;
  /**
   * True when the reused keep-alive connection was found closed by the server before any response
   * and this idempotent request was sent again on a new one: a reconnect, not a failure (issue 25).
   */
  reconnected?: boolean;
  /** Under load (load-client.ts): which of the run's connections, 1-based, in the order they opened. */
  connection?: number;
  /** `Content-Type` and `Content-Encoding` of the response ('' when absent). */
  contentType: string;
  contentEncoding: string;
  /** The format the body was parsed as. */
  format: BodyFormat | null;
  /** Body bytes as read from the socket (compressed when encoded). */
  wireBytes: number;
  /** Body bytes after decoding. */
  bytes: number;
  /** Events (SSE events, NDJSON lines, raw chunks), heartbeats not counted. */
  events: number;
  /** Events that carry payload. */
  contentEvents: number;
  /** SSE comments and NDJSON blank lines (heartbeats). */
  comments: number;
  /** The arrival of each heartbeat (µs, as the timeline's): where a proxy stripped them shows as none. */
  heartbeatsUs: number[];
  /** Socket reads (one synchronous parser run each) that carried body bytes. */
  reads: number;
  /** For each read, 0-based, the content events whose last byte it delivered (`done` and `error` not counted). */
  eventsPerRead: number[];
  /** The server's `done.stats`, when it sent one. */
  serverStats: DoneStats | null;
  /** Shaped like an LLM stream (OpenAI chunks, a `usage` count, our chat `done`): gets LLM metrics. */
  llm: boolean;
  /** Output tokens from the last `usage` the stream carried; null when it sent none. */
  outputTokens: number | null;
  /** Replacement characters decoded from invalid UTF-8. */
  invalidUtf8: number;
  /** Every event's arrival (kept for every request until the report chooses which to keep). */
  timeline: Timeline;
  /** Why it failed; null when it did not. */
  error: { kind: ErrorKind; message: string } | null;
  /**
   * What was wrong with a stream whose transport succeeded (an in-stream error, a cut, stripped
   * heartbeats); null when nothing was. Set whether or not `--strict-streams` made it an `error`.
   */
  integrity: IntegrityKind | null;
}

/**
 * A record before anything happened: the one place that lists every field's starting value, so
 * the stream client (a request about to start) and the load runner (a request it dropped) agree.
 */
export function blankRecord(index: number, warmup: boolean, originMs: number, fields: Partial<StreamRecord> = {}): StreamRecord {
  return {
    index,
    warmup,
    originMs,
    startUs: 0,
    connectUs: null,
    headersUs: null,
    firstByteUs: null,
    firstEventUs: null,
    firstContentUs: null,
    endUs: 0,
    status: null,
    httpVersion: null,
    keepAlive: true,
    reusedConnection: true,
    contentType: '',
    contentEncoding: '',
    format: null,
    wireBytes: 0,
    bytes: 0,
    events: 0,
    contentEvents: 0,
    comments: 0,
    heartbeatsUs: [],
    reads: 0,
    eventsPerRead: [],
    serverStats: null,
    llm: false,
    outputTokens: null,
    invalidUtf8: 0,
    timeline: new Timeline(),
    error: null,
    integrity: null,
    ...fields,
  };
}

/** A stream's output tokens N: the server's last `usage` count, else its content events (docs/metrics.md). */
export function outputTokens(r: Pick<StreamRecord, 'outputTokens' | 'contentEvents'>): number {
  return r.outputTokens ?? r.contentEvents;
}
