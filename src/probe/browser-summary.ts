import type { Histogram } from 'hdr-histogram-js';
import type { BrowserApi, BrowserFacts, BrowserTimeline, QueuedStream } from '../model/browser.js';
import { BROWSER_METRICS } from '../model/metric-catalog.js';
import { newHistogram, recordClamped } from '../model/metric-histogram.js';
import { metricStats, round3 } from '../model/metric-stats.js';
import type { StreamRecord } from '../model/record.js';
import type { MetricStats, ReportConfiguration } from '../model/report.js';
import type { PageRun, PageStream } from './browser-run.js';

/** Chromium's connections per origin over HTTP/1.1 (net/socket/client_socket_pool_manager.cc). */
export const HTTP1_CONNECTIONS_PER_ORIGIN = 6;

/** A wire stream, kept only as much as pairing its events with the page's needs. */
export interface WireTwin {
  /** Actual request start on Node's `performance.now()` clock (ms). */
  startMs: number;
  /** Event arrivals in ms from that start. */
  arrivalMs: Float64Array;
  /** Server stamps; NaN when absent. */
  t: Float64Array;
}

/** The twin of a finished wire record, or null for warmup and failed requests (they pair with nothing). */
export function wireTwin(r: StreamRecord): WireTwin | null {
  if (r.warmup || r.error !== null) return null;
  const tl = r.timeline;
  const arrivalMs = new Float64Array(tl.length);
  const t = new Float64Array(tl.length);
  const startUs = r.startUs;
  for (let i = 0; i < tl.length; i++) {
    arrivalMs[i] = (tl.arrivalUs[i]! - startUs) / 1000;
    t[i] = tl.t[i]!;
  }
  return { startMs: r.originMs + startUs / 1000, arrivalMs, t };
}

/**
 * Streams whose request went out only after another stream of the run ended: they waited for a
 * connection. Both times are the network stack's (Resource Timing's requestStart and responseEnd):
 * the page reads a body's end a little after the connection went to the next request. Without
 * Resource Timing the headers and the page's end stand in.
 */
function queuedStreams(streams: readonly PageStream[]): Set<PageStream> {
  const ends = streams.map((s) => s.startMs + (s.netEndMs ?? s.endMs)).sort((a, b) => a - b);
  const out = new Set<PageStream>();
  for (const s of streams) {
    const sent = s.sentMs ?? s.headersMs;
    if (sent === null) continue;
    const from = s.startMs;
    const to = s.startMs + sent;
    // Any end in (from, to]: binary search for the first end after `from`.
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    if (lo < ends.length && ends[lo]! <= to) out.add(s);
  }
  return out;
}

function firstContent(s: PageStream): number | null {
  const i = s.content.indexOf(true);
  return i < 0 ? null : s.arrivalMs[i]!;
}

export interface BrowserSummary {
  metrics: Record<string, MetricStats>;
  facts: BrowserFacts;
  warnings: string[];
}

/**
 * The page's metrics (docs/metrics.md, "Browser metrics"): browser_first_content_ms,
 * browser_gap_ms, paint_delay_ms and queued_ms from the page alone; browser_overhead_ms pairs
 * each page event with the same event of the wire twin (the same request index of the wire run).
 */
export function summarizeBrowser(page: PageRun, api: BrowserApi, twins: ReadonlyMap<number, WireTwin>, keep: ReadonlyArray<{ role: BrowserTimeline['role']; request: number }>): BrowserSummary {
  const h: Record<string, Histogram> = {};
  for (const m of BROWSER_METRICS) h[m] = newHistogram();
  const measured = page.streams.filter((s) => !s.warmup);
  const ok = measured.filter((s) => s.error === null);
  const queued = queuedStreams(page.streams);
  let pairsT = 0;
  let pairsStart = 0;
  for (const s of ok) {
    const fc = firstContent(s);
    if (fc !== null) recordClamped(h['browser_first_content_ms']!, fc * 1000);
    if (s.headersMs !== null) recordClamped(h['queued_ms']!, s.headersMs * 1000);
    for (let i = 0; i < s.arrivalMs.length; i++) {
      if (i > 0) recordClamped(h['browser_gap_ms']!, (s.arrivalMs[i]! - s.arrivalMs[i - 1]!) * 1000);
      const p = s.paintMs[i];
      if (p !== null && p !== undefined && s.content[i]) recordClamped(h['paint_delay_ms']!, (p - s.arrivalMs[i]!) * 1000);
    }
    const w = twins.get(s.index);
    if (w === undefined) continue;
    const n = Math.min(w.arrivalMs.length, s.arrivalMs.length);
    for (let k = 0; k < n; k++) {
      const tp = s.t[k];
      const tw = w.t[k]!;
      let d: number;
      if (tp !== null && tp !== undefined && !Number.isNaN(tw)) {
        // Delivery on the page minus delivery on the wire, each from its own event's server stamp:
        // how long the server took to release each stream's events cancels out.
        d = s.startMs + s.arrivalMs[k]! - tp - (w.startMs + w.arrivalMs[k]! - tw);
        pairsT++;
      } else {
        d = s.arrivalMs[k]! - w.arrivalMs[k]!;
        pairsStart++;
      }
      recordClamped(h['browser_overhead_ms']!, d * 1000);
    }
  }
  const metrics: Record<string, MetricStats> = {};
  for (const m of BROWSER_METRICS) metrics[m] = metricStats(h[m]!, 'ms');

  const protocols = [...new Set(ok.map((s) => s.protocol).filter((p): p is string => p !== null && p !== ''))];
  const protocol = protocols.length === 0 ? null : protocols.join('+');
  const queuedList: QueuedStream[] = page.streams
    .filter((s) => queued.has(s) && !s.warmup)
    .map((s) => ({ request: s.index, queued_ms: round3(s.headersMs ?? s.sentMs ?? 0) }));
  const warnings: string[] = [];
  if (queuedList.length > 0) {
    const h1 = protocol === null || /http\/1/i.test(protocol);
    warnings.push(
      `browser: ${queuedList.length} of ${measured.length} page streams waited for another stream to end before their request went out ` +
        `(${h1 ? `HTTP/1.1: Chromium opens at most ${HTTP1_CONNECTIONS_PER_ORIGIN} connections per origin` : `protocol ${protocol}`}; ` +
        `queued_ms ${queuedList.slice(0, 8).map((q) => q.queued_ms).join(', ')}${queuedList.length > 8 ? ', …' : ''}). Fix: serve HTTP/2 over TLS (h2 carries every stream on one connection), ` +
        'or open fewer streams per origin (one multiplexed stream per tab, or separate origins)',
    );
  }
  const failed = measured.length - ok.length;
  if (failed > 0) warnings.push(`browser: ${failed} of ${measured.length} page streams failed (${[...new Set(measured.map((s) => s.error).filter((e) => e !== null))].slice(0, 3).join('; ')})`);
  if (page.clockErrorMs > 1) warnings.push(`browser: the page's clock is known to Node's within ±${round3(page.clockErrorMs)} ms only; browser_overhead_ms carries that error`);

  const byIndex = new Map(page.streams.map((s) => [s.index, s]));
  const timelines: BrowserTimeline[] = [];
  for (const { role, request } of keep) {
    const s = byIndex.get(request);
    if (s === undefined || s.error !== null) continue;
    const fc = firstContent(s);
    timelines.push({
      role,
      request,
      first_content_ms: fc === null ? null : round3(fc),
      queued_ms: s.headersMs === null ? null : round3(s.headersMs),
      total_ms: round3(s.endMs),
      events: s.arrivalMs.map((a, i) => ({
        arrival_ms: round3(a),
        paint_ms: s.paintMs[i] === null || s.paintMs[i] === undefined ? null : round3(s.paintMs[i]!),
        t: s.t[i] ?? null,
        chars: s.chars[i]!,
        content: s.content[i]!,
      })),
    });
  }
  return {
    metrics,
    warnings,
    facts: {
      api,
      chromium: page.chromium,
      protocol,
      requests: { measured: measured.length, ok: ok.length, failed },
      errors: [...new Set(measured.map((s) => s.error).filter((e): e is string => e !== null))].slice(0, 5),
      queued_streams: queuedList,
      overhead_from: pairsT > 0 ? 't' : pairsStart > 0 ? 'start' : null,
      timelines,
    },
  };
}

/** Adds the page's side to the wire's configuration. */
export function withBrowser(c: ReportConfiguration, b: BrowserSummary): ReportConfiguration {
  return { ...c, metrics: { ...c.metrics, ...b.metrics }, warnings: [...c.warnings, ...b.warnings], browser: b.facts };
}
