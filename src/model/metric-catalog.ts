/**
 * The contract's metric, stat and scalar names (docs/metrics.md) and which direction is
 * better: the one list `gate` validates against and `compare` colours by.
 */
import { ERROR_KINDS } from './record.js';

/** Latency metrics in ms; each also exists as `service_…` in the open model. */
export const LATENCY_METRICS = [
  'connect_ms',
  'headers_ms',
  'first_byte_ms',
  'first_event_ms',
  'first_content_ms',
  'gap_ms',
  'lag_ms',
  'hold_ms',
  'total_ms',
  'server_first_chunk_ms',
  'client_loop_delay_ms',
] as const;

/**
 * What the page saw in headless Chromium (bench --browser, docs/metrics.md "Browser metrics"), in ms,
 * lower is better: first content and gaps on the page's clock, the frame that showed each event,
 * request start to response headers inside the browser, and page arrival minus wire arrival of the
 * same event.
 */
export const BROWSER_METRICS = ['browser_first_content_ms', 'browser_gap_ms', 'paint_delay_ms', 'queued_ms', 'browser_overhead_ms'] as const;

/** LLM stream latencies. */
const LLM_LATENCIES = ['ttft_ms', 'ttfo_ms', 'itl_ms', 'itl_per_token_ms', 'tpot_ms'] as const;

/** Per-stream counts every bench run records (tokens_per_event only for LLM streams). */
export const STREAM_COUNT_METRICS = ['events_per_read', 'events_per_stream', 'writes_per_stream'] as const;
const COUNTS = [...STREAM_COUNT_METRICS, 'tokens_per_event'] as const;

/** Histogram metrics: `METRIC.STAT` in gates. */
export const METRIC_NAMES: readonly string[] = [
  ...LATENCY_METRICS,
  // Service time from the actual start: the latencies timed from a request's start.
  ...['connect_ms', 'headers_ms', 'first_byte_ms', 'first_event_ms', 'first_content_ms', 'total_ms'].map((m) => `service_${m}`),
  ...LLM_LATENCIES,
  ...COUNTS,
  ...BROWSER_METRICS,
];

export const STAT_NAMES = ['p50', 'p90', 'p99', 'p99.9', 'min', 'max', 'mean', 'stdev', 'count'] as const;
export type StatName = (typeof STAT_NAMES)[number];

/** Scalars: no stat (`error_rate < 0.01`); `errors.<kind>` for each contract error kind. */
export const SCALAR_NAMES: readonly string[] = [
  'error_rate',
  'requests_per_s',
  'events_per_s',
  'bytes_per_s',
  'output_tokens_per_s',
  // With bench --slo: the share of measured requests that met every objective, and their rate.
  'goodput',
  'goodput_per_s',
  'client_cpu_pct',
  'server_cpu_ms_per_stream',
];

/** The contract's error kinds: one list, kept with the record type that carries them. */
export const ERROR_KIND_NAMES: readonly string[] = ERROR_KINDS;

/** Every scalar name a gate accepts, `errors.<kind>` included. */
export const ALL_SCALAR_NAMES: readonly string[] = [...SCALAR_NAMES, ...ERROR_KIND_NAMES.map((k) => `errors.${k}`)];

const HIGHER_IS_BETTER = new Set(['requests_per_s', 'events_per_s', 'bytes_per_s', 'output_tokens_per_s', 'goodput', 'goodput_per_s']);

/** The contract's rule: lower is better for every metric except the rates and goodput. */
export function betterDirection(name: string): 'lower' | 'higher' {
  return HIGHER_IS_BETTER.has(name) ? 'higher' : 'lower';
}

export function isMetricName(name: string): boolean {
  return METRIC_NAMES.includes(name);
}

export function isScalarName(name: string): boolean {
  return ALL_SCALAR_NAMES.includes(name);
}

export function isStatName(name: string): name is StatName {
  return (STAT_NAMES as readonly string[]).includes(name);
}

/** True for metrics whose values are milliseconds (`--min-delta-ms` applies to them). */
export function isMsMetric(name: string): boolean {
  return name.endsWith('_ms') || name === 'server_cpu_ms_per_stream';
}
