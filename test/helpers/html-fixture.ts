import { encodeHistogram, newHistogram } from '../../src/model/metric-histogram.js';
import type { KeptTimeline, MetricStats, Report, ReportConfiguration } from '../../src/model/report.js';
import type { TimelineEntry } from '../../src/model/timeline.js';

/** Strings a hostile server (or a hostile report file) could put into a report. */
export const HOSTILE = {
  name: '</title><script>alert("name")</script>',
  event: '"><img src=x onerror=alert(1)>',
  url: 'http://evil.example/"><script>alert(2)</script>',
  warning: '<b onmouseover="alert(3)">warning</b> & more',
  cpu: "CPU' onload='alert(4)",
};

/**
 * A metric whose histogram holds exactly `values` (µs for ms metrics, units for counts), with its
 * statistics as a report states them (only the ones the page prints need to be right).
 */
export function metricOf(unit: 'ms' | 'count', values: readonly number[]): MetricStats {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  const scale = unit === 'ms' ? 1 / 1000 : 1;
  const n = values.length;
  const at = (p: number) => (n === 0 ? null : Math.min(h.getValueAtPercentile(p), h.maxValue) * scale);
  return {
    unit,
    count: n,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    'p99.9': at(99.9),
    min: n === 0 ? null : Math.min(...values) * scale,
    max: n === 0 ? null : h.maxValue * scale,
    mean: n === 0 ? null : h.mean * scale,
    stdev: n === 0 ? null : h.stdDeviation * scale,
    histogram: encodeHistogram(h),
  };
}

/** Stamped events: [arrival ms, read, sent t ms, t_src ms, content]. t is on a server clock (epoch-like). */
function stamped(rows: ReadonlyArray<[number, number, number, number, boolean]>, event = 'chunk'): TimelineEntry[] {
  const T0 = 1_764_000_000_000;
  return rows.map(([arrival, read, t, tSrc, content], i) => ({
    arrivalUs: Math.round(arrival * 1000),
    read,
    bytes: 60 + i,
    event: content ? event : 'done',
    t: T0 + t,
    t_src: T0 + tSrc,
    content,
  }));
}

function timeline(role: KeptTimeline['role'], request: number, firstContentMs: number, events: TimelineEntry[]): KeptTimeline {
  const reads = new Set(events.map((e) => e.read)).size;
  return { role, request, first_content_ms: firstContentMs, total_ms: events.at(-1)!.arrivalUs / 1000, status: 200, reads, events };
}

function config(name: string, over: Partial<ReportConfiguration>): ReportConfiguration {
  return {
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
      embedded_server: { flush_policy: 'guide-before' },
    },
    started_at: '2026-11-25T12:00:00.000Z',
    duration_ms: 1234.5,
    requests: { measured: 6, warmup: 0, ok: 6, failed: 0 },
    errors: {},
    scalars: { error_rate: 0, requests_per_s: 5, events_per_s: 40, bytes_per_s: 4000, client_cpu_pct: 2.5 },
    metrics: {},
    warnings: [],
    timelines: [],
    ...over,
  };
}

/** first_content_ms of the buffered configuration, µs: six distinct HDR buckets. */
export const BUFFERED_FIRST_CONTENT_US = [180_000, 181_000, 185_500, 199_000, 230_000, 250_000];
/** events_per_read of the buffered configuration: values 1 ×4, 2 ×2, 5 ×1 (three bars). */
export const BUFFERED_EPR = [1, 1, 1, 1, 2, 2, 5];
/** Adaptive: first content 1.5 ms ×2, 2.3, 2.9, 12 ms (four buckets); events per read 1 ×9, 3 ×1. */
export const ADAPTIVE_FIRST_CONTENT_US = [1500, 1500, 2300, 2900, 12_000];
export const ADAPTIVE_EPR = [1, 1, 1, 1, 1, 1, 1, 1, 1, 3];

/**
 * Three configurations: a buffered one with stamped, held events and a lump (two events in one
 * read), carrying hostile strings; an unstamped one (a foreign server); one where every request
 * failed (no samples, no timelines).
 */
export function htmlFixture(): Report {
  const buffered = config(HOSTILE.name, {
    target: {
      url: HOSTILE.url,
      method: 'POST',
      http_version: '1.1',
      keep_alive: true,
      format: 'auto',
      parsed_as: ['sse'],
      content_type: `text/plain; ${HOSTILE.event}`,
      content_encoding: null,
      accept_encoding: 'gzip, deflate, br',
      embedded_server: { flush_policy: 'guide-before' },
    },
    warnings: [{ code: 'legacy', count: 1, details: { message: HOSTILE.warning } }],
    metrics: {
      first_content_ms: metricOf('ms', BUFFERED_FIRST_CONTENT_US),
      hold_ms: metricOf('ms', [0, 90_000, 180_000]),
      events_per_read: metricOf('count', BUFFERED_EPR),
    },
    timelines: [
      // typical: 4 events, 3 reads; events 2 and 3 arrive in one read (a lump); 3 events held.
      timeline('typical', 3, 186, [
        ...stamped([
          [186, 0, 185, 5, true],
          [390, 1, 389, 205, true],
          [391, 2, 390, 300, true],
        ], HOSTILE.event),
        ...stamped([[391, 2, 390.5, 390.5, false]]),
      ]),
      // worst: 3 events, 3 reads, the second delayed on the path (far right of the diagonal).
      timeline('worst', 5, 250, stamped([
        [250, 0, 249, 49, true],
        [520, 1, 450, 300, true],
        [600, 2, 599, 599, false],
      ])),
    ],
  });
  const unstamped = config('adaptive', {
    target: { ...buffered.target, url: 'https://api.example.com/v1/chat/completions', content_type: 'text/event-stream', embedded_server: null },
    metrics: {
      first_content_ms: metricOf('ms', ADAPTIVE_FIRST_CONTENT_US),
      events_per_read: metricOf('count', ADAPTIVE_EPR),
    },
    timelines: [
      timeline('typical', 2, 2.3, [0, 1, 2, 3].map((i) => ({ arrivalUs: 2300 + i * 20_000, read: i, bytes: 40, event: 'message', t: null, t_src: null, content: i < 3 }))),
    ],
  });
  const failed = config('all failed', {
    requests: { measured: 3, warmup: 0, ok: 0, failed: 3 },
    errors: { connect_refused: 3 },
    scalars: { error_rate: 1, requests_per_s: 0, events_per_s: 0, bytes_per_s: 0, client_cpu_pct: 0.1, 'errors.connect_refused': 3 },
    metrics: { first_content_ms: metricOf('ms', []), events_per_read: metricOf('count', []) },
  });
  return {
    schemaVersion: 2,
    command: 'bench',
    created_at: '2026-11-25T12:00:00.000Z',
    tool: { name: 'notebook-stream', version: '0.1.0' },
    node: { version: 'v20.18.1' },
    machine: { nproc: 2, cpu_model: HOSTILE.cpu, platform: 'linux', arch: 'x64', total_memory_bytes: 8 * 1024 ** 3 },
    args: ['bench', '--name', HOSTILE.name],
    configurations: [buffered, unstamped, failed],
  };
}
