import type { BrowserFacts } from './browser.js';
import type { TimelineEntry } from './timeline.js';

/** Bumped on any incompatible change; `merge` refuses reports of another version (exit 2). */
export const SCHEMA_VERSION = 1;

/** The statistics of one metric (docs/metrics.md: p50 p90 p99 p99.9 min max mean stdev count). */
export interface MetricStats {
  /** `ms` for latencies (histogram in µs), `count` for counts (histogram in units). */
  unit: 'ms' | 'count';
  count: number;
  /** null when count is 0. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  'p99.9': number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  stdev: number | null;
  /** hdr-histogram-js compressed base64; decode and add to merge reports exactly. */
  histogram: string;
}

/** A kept stream's per-event timeline. */
export interface KeptTimeline {
  /** `typical` (median first_content_ms), `worst` (largest), or `kept` (--keep-timelines). */
  role: 'typical' | 'worst' | 'kept';
  /** The request's index in the run (warmup included). */
  request: number;
  first_content_ms: number | null;
  total_ms: number;
  status: number | null;
  reads: number;
  events: TimelineEntry[];
}

export interface ReportTarget {
  url: string;
  method: string;
  http_version: '1.1' | '2' | null;
  keep_alive: boolean;
  /** The requested `--format` and the formats the responses were parsed as. */
  format: string;
  parsed_as: string[];
  content_type: string | null;
  content_encoding: string | null;
  accept_encoding: string | null;
  /** Set when bench started the embedded server itself. */
  embedded_server: { flush_policy: string } | null;
}

/** Present when some streams were LLM streams (docs/metrics.md, "LLM metrics"). */
export interface LlmSummary {
  /** Successful LLM streams (those the LLM metrics cover). */
  streams: number;
  /** Their output tokens. */
  output_tokens: number;
  /** `usage`: every stream's count came from the server's `usage`; `content_events`: none sent usage, so its content events were counted; `mixed`: some of each. */
  token_source: 'usage' | 'content_events' | 'mixed';
  /** Streams whose count came from `usage`. */
  usage_streams: number;
  /** Streams that carried an error event (an in-stream `{"error": …}` or our `error`). */
  stream_errors: number;
}

/** Goodput (docs/metrics.md, "Goodput"): requests that met every objective of `slo`, out of `measured`. */
export interface GoodputSummary {
  /** The objectives, canonical (`ttft_ms<500,itl_ms.p99<80`): `merge` adds only equal ones. */
  slo: string;
  good: number;
  measured: number;
}

/** The tools whose definitions `bench --definitions` computes (docs/metrics.md, "Every tool's definitions"). */
export const DEFINITION_TOOLS = ['vllm', 'genai-perf', 'llmperf', 'guidellm', 'otel'] as const;
export type DefinitionTool = (typeof DEFINITION_TOOLS)[number];

/** One figure under a tool's name and formula; time histograms are µs (stats in ms), shown in `unit`. */
export interface DefinitionFigure {
  name: string;
  unit: 'ms' | 's' | 'tokens';
  formula: string;
  stats: MetricStats;
}

/** The run's LLM streams as one tool computes them. */
export interface DefinitionsView {
  tool: DefinitionTool;
  /** Where the formulas were read (repository, file, or the convention and its version). */
  source: string;
  figures: DefinitionFigure[];
}

/** One measured configuration (a report holds one or more; `merge` and `compare` add more). */
export interface ReportConfiguration {
  name: string;
  target: ReportTarget;
  started_at: string;
  duration_ms: number;
  requests: { measured: number; warmup: number; ok: number; failed: number };
  /** Failed requests by contract error kind (kinds with no failures are left out). */
  errors: Record<string, number>;
  /** The first message of each error kind seen (warm-up included), for the reason behind a count. */
  error_examples?: Record<string, string>;
  scalars: Record<string, number>;
  metrics: Record<string, MetricStats>;
  warnings: string[];
  timelines: KeptTimeline[];
  /** Totals behind the rates, so `merge` recomputes them exactly (absent in older reports). */
  totals?: { events: number; bytes: number };
  /** How the load was generated (bench -c / --rate); absent in older reports. */
  load?: LoadFacts;
  /** bench with --warmup ≥ 1: the first warm-up request, left out of the statistics. */
  cold_start?: ColdStart;
  /** Only when LLM streams were measured. */
  llm?: LlmSummary;
  /**
   * Measured streams by integrity kind (docs/metrics.md, "Stream integrity"), whether or not
   * `--strict-streams` also made them failures; absent when every stream was whole.
   */
  stream_integrity?: Record<string, number>;
  /** With `bench --slo`. */
  goodput?: GoodputSummary;
  /** With `bench --definitions TOOL`. */
  definitions?: DefinitionsView;
  /**
   * `compare` only: the flush policy's settings when the configuration ran against a server whose
   * settings are known (the embedded server, or a URL whose `/healthz` shows them).
   */
  flush_settings?: ReportFlushSettings;
  /** bench --browser: the page's side of the same workload (its metrics are in `metrics`). */
  browser?: BrowserFacts;
  /** `compare` only: each round's own statistics, in round order (significance is judged on them). */
  rounds?: RoundSummary[];
}

/**
 * The first request of a run, on a new connection and cold paths (bench starting, the server's
 * first request): ms from its start; null for a time it never reached. Kept apart so it does not
 * become the statistics' tail (issue 32: its headers_ms was 54–72 ms, the rest ~2.5 ms).
 */
export interface ColdStart {
  connect_ms: number | null;
  headers_ms: number | null;
  first_content_ms: number | null;
  total_ms: number | null;
  /** The error kind when it failed. */
  error: string | null;
}

/** A flush policy's settings as `compare`'s first rows restate them (`src/flush-presets.ts`). */
export interface ReportFlushSettings {
  policy: string;
  mode: 'buffered' | 'adaptive';
  buffer_chars: number;
  flush_interval_ms: number;
  min_chars: number;
  release_wait_ms: number;
  kernel_wait_ms: number;
  streaming_headers: boolean;
}

/** The statistics of one round of one configuration (`compare --rounds`). */
export interface RoundSummary {
  /** 1-based. */
  round: number;
  requests: { measured: number; ok: number; failed: number };
  /** p50, p99 and count of each metric over this round's streams (null when it had no samples). */
  metrics: Record<string, RoundStats>;
  /** This round's scalars (`server_cpu_ms_per_stream` when `/metrics` was readable). */
  scalars: Record<string, number>;
}

export interface RoundStats {
  p50: number | null;
  p99: number | null;
  count: number;
}

/** The load model of a run and what its connections did. */
export interface LoadFacts {
  model: 'closed' | 'open';
  /** Closed model: streams at once (summed by `merge`). */
  concurrency: number | null;
  /** Open model: intended requests per second (summed by `merge`), arrival process, in-flight cap. */
  rate: number | null;
  arrival: 'constant' | 'poisson' | null;
  max_in_flight: number | null;
  /** The Agent's socket cap. */
  connections: number;
  /** Connections opened, and requests sent on a connection an earlier request opened. */
  connections_opened: number;
  requests_on_reused_connections: number;
  /** The run was bounded by `-n` (requests) or `-d` (seconds). */
  planned_requests: number | null;
  planned_duration_s: number | null;
  /** Loop delay or CPU say the client, not the server, limited the run (see warnings). */
  client_bottleneck: boolean;
  /** Runs combined into this one (1 unless merged). */
  runs: number;
}

export interface MachineFacts {
  nproc: number;
  cpu_model: string;
  platform: string;
  arch: string;
  total_memory_bytes: number;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  command: string;
  created_at: string;
  tool: { name: 'notebook-stream'; version: string };
  node: { version: string };
  machine: MachineFacts;
  /** The command line after `notebook-stream`. */
  args: string[];
  configurations: ReportConfiguration[];
  /** Set by `merge`: the reports combined, with the machine each ran on. */
  merged_from?: MergedSource[];
}

export interface MergedSource {
  file: string;
  created_at: string;
  command: string;
  machine: MachineFacts;
  node: { version: string };
  args: string[];
}
