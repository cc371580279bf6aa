import { encodeHistogram, newHistogram } from '../../src/model/metric-histogram.js';
import type { MetricStats, Report, ReportConfiguration, ReportFlushSettings, RoundSummary } from '../../src/model/report.js';

const EMPTY = encodeHistogram(newHistogram());

/** A metric with the given stats (the histogram is empty: exporters never read it). */
export function stats(unit: 'ms' | 'count', s: Partial<Omit<MetricStats, 'unit' | 'histogram'>>): MetricStats {
  return { unit, count: 0, p50: null, p90: null, p99: null, 'p99.9': null, min: null, max: null, mean: null, stdev: null, histogram: EMPTY, ...s };
}

export const GUIDE_BEFORE_SETTINGS: ReportFlushSettings = {
  policy: 'guide-before',
  mode: 'buffered',
  buffer_chars: 50,
  flush_interval_ms: 100,
  min_chars: 40,
  release_wait_ms: 10,
  kernel_wait_ms: 1000,
  streaming_headers: false,
};

export const ADAPTIVE_SETTINGS: ReportFlushSettings = {
  policy: 'adaptive',
  mode: 'adaptive',
  buffer_chars: 0,
  flush_interval_ms: 0,
  min_chars: 0,
  release_wait_ms: 0,
  kernel_wait_ms: 0,
  streaming_headers: true,
};

/** A configuration by hand: metrics and scalars as given, optional rounds and settings. */
export function handConfig(
  name: string,
  metrics: Record<string, MetricStats>,
  scalars: Record<string, number> = {},
  extra: { rounds?: RoundSummary[]; flush_settings?: ReportFlushSettings; errors?: Record<string, number> } = {},
): ReportConfiguration {
  const c: ReportConfiguration = {
    name,
    target: {
      url: 'http://127.0.0.1:18600/send_operation',
      method: 'POST',
      http_version: '1.1',
      keep_alive: true,
      format: 'auto',
      parsed_as: ['sse'],
      content_type: 'text/event-stream; charset=utf-8',
      content_encoding: null,
      accept_encoding: 'gzip, deflate, br',
      embedded_server: null,
    },
    started_at: '2026-11-25T12:00:00.000Z',
    duration_ms: 1000,
    requests: { measured: 8, warmup: 1, ok: 8, failed: 0 },
    errors: extra.errors ?? {},
    scalars: { error_rate: 0, requests_per_s: 8, events_per_s: 160, bytes_per_s: 9000, client_cpu_pct: 3, ...scalars },
    metrics,
    warnings: [],
    timelines: [],
  };
  if (extra.flush_settings !== undefined) c.flush_settings = extra.flush_settings;
  if (extra.rounds !== undefined) c.rounds = extra.rounds;
  return c;
}

/** Rounds whose first_content_ms p50 (and p99) take the given values. */
export function roundsOf(p50s: number[], cpu?: number[]): RoundSummary[] {
  return p50s.map((v, i) => ({
    round: i + 1,
    requests: { measured: 4, ok: 4, failed: 0 },
    metrics: { first_content_ms: { p50: v, p99: v + 1, count: 4 } },
    scalars: cpu === undefined ? {} : { server_cpu_ms_per_stream: cpu[i]! },
  }));
}

export function handReport(configurations: ReportConfiguration[], command = 'compare'): Report {
  return {
    schemaVersion: 2,
    command,
    created_at: '2026-11-25T12:00:00.000Z',
    tool: { name: 'notebook-stream', version: '0.1.0' },
    node: { version: 'v20.18.1' },
    machine: { nproc: 2, cpu_model: 'Test CPU', platform: 'linux', arch: 'x64', total_memory_bytes: 1 },
    args: [command],
    configurations,
  };
}
