import type { FieldNamer } from '../model/field-text.js';
import type { CustomFlushOverrides, FlushPolicyName } from '../model/flush-presets.js';
import type { JupyterSettings } from './jupyter-controller.js';
import type { LlmConfig } from './sources/llm-config.js';

/** Everything `serve` can be told; the CLI fills it from flags, tests pass it directly. */
export interface ServerOptions {
  /** How messages name serve's options (field names unless the CLI passes its flag names). */
  names?: FieldNamer;
  host: string;
  /** 0 picks a free port. */
  port: number;
  flushPolicy: FlushPolicyName;
  /** For `custom`: changes to guide-after's values. */
  custom?: CustomFlushOverrides;
  /** Idle keep-alive connections close after this (the guide's `timeout_keep_alive`). */
  keepAliveS: number;
  /** Heartbeat comment on an idle stream every this many seconds; 0 disables. */
  heartbeatS: number;
  /** Concurrent streams past which requests get 503 NBS_TOO_MANY_STREAMS. */
  maxStreams: number;
  /** On SIGINT/SIGTERM open streams get this long to end with `done` status `shutdown`. */
  graceS: number;
  /** A client that reads nothing for this long while the socket is backed up ends the stream. */
  stallTimeoutS: number;
  /**
   * Bytes a stream may leave queued for a client that does not read: above it for longer than
   * OVERFLOW_WAIT_MS, the stream ends with outcome `overflow` (issue 25 item 2).
   */
  maxQueuedBytes: number;
  /** A request whose headers are not complete after this long gets 408 and is closed (Node's headersTimeout). */
  headersTimeoutS: number;
  /** Open connections at most (node:net maxConnections: more are closed at once); 0: no limit. */
  maxConnections: number;
  /** Let the `X-NBS-Flush-Policy` request header pick the policy per request. */
  allowPolicyOverride: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where pino's JSON lines go (default stderr: stdout carries only the URL). */
  logStream?: NodeJS.WritableStream;
  /** Bearer token every request but GET /healthz must carry (never logged). */
  token?: string;
  /** Start on a non-loopback address without a token (explicitly unsafe). */
  insecureNoAuth: boolean;
  /** Host names accepted besides loopback names and the bound address when no token is set. */
  allowedHosts: string[];
  /** Origins that get CORS headers; empty: CORS off. */
  corsOrigins: string[];
  /** Send Access-Control-Allow-Credentials: true to the listed origins. */
  corsCredentials: boolean;
  /** PEM certificate and key: HTTPS with HTTP/1.1 and HTTP/2 by ALPN. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Cleartext HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1. */
  http2: boolean;
  /** The chat source's upstream; default: resolved from OPENAI_BASE_URL, OPENAI_API_BASE, OPENAI_API_KEY. */
  llm?: LlmConfig;
  /** The execute source's Jupyter Server (default: lazy, managed, fixed tuning, 8 kernels). */
  jupyter?: JupyterSettings;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 18600,
  flushPolicy: 'adaptive',
  keepAliveS: 75,
  heartbeatS: 15,
  maxStreams: 10_000,
  graceS: 5,
  stallTimeoutS: 30,
  maxQueuedBytes: 1024 * 1024,
  headersTimeoutS: 10,
  maxConnections: 0,
  allowPolicyOverride: false,
  logLevel: 'info',
  insecureNoAuth: false,
  allowedHosts: [],
  corsOrigins: [],
  corsCredentials: false,
  http2: false,
};

/** Body limit for POST /send_operation (413 NBS_BODY_TOO_LARGE above it). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
