import type { Histogram } from 'hdr-histogram-js';
import type { KeptTimeline, MetricStats, ReportConfiguration, ReportTarget } from '../model/report.js';
import { errorRate } from '../model/error-rate.js';
import { summarizeLlm } from './llm-metrics.js';
import { FRESH_HISTOGRAMS, round3, type Histograms } from '../model/metric-stats.js';
import { recordClamped } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { LATENCY_METRICS, STREAM_COUNT_METRICS } from '../model/metric-catalog.js';
import type { ReportWarning } from '../model/warnings.js';
import type { Slo } from '../model/slo.js';
import type { DefinitionTool } from '../model/report.js';
import { streamFigures, type StreamFigures } from './stream-figures.js';
import { isGood } from './goodput.js';
import { definitionsView } from './tool-definitions.js';

/** What the runner measured besides the records. */
export interface RunResult {
  records: StreamRecord[];
  startedAt: Date;
  wallMs: number;
  /** Client process CPU time (user + system) over the run, µs. */
  cpuUs: number;
  /** Event-loop delay samples in µs (how late a 10 ms timer fired). */
  loopDelay: Histogram;
}

/** How `bench` judges the streams beyond measuring them (issue 30). */
export interface JudgeOptions {
  /** `--slo`: count goodput. */
  slo?: Slo;
  /** `--definitions`: one tool's view of the LLM streams. */
  definitions?: DefinitionTool;
}

/** Latencies are recorded in µs and reported in ms; counts in units. */
export const BENCH_METRICS: readonly string[] = [...LATENCY_METRICS, ...STREAM_COUNT_METRICS];

/**
 * Turns the records of one run into a report configuration. Latencies come from successful
 * requests only (a failure is counted by kind, and its partial times would mix two populations).
 */

export function summarizeRun(
  name: string,
  target: ReportTarget,
  run: RunResult,
  keepTimelines: number,
  histograms: Histograms = FRESH_HISTOGRAMS,
  judge: JudgeOptions = {},
): ReportConfiguration {
  const statsOf = histograms.stats;
  const h: Record<string, Histogram> = {};
  for (const m of BENCH_METRICS) h[m] = histograms.of(m);
  const measured = run.records.filter((r) => !r.warmup);
  const ok = measured.filter((r) => r.error === null);
  const errors: Record<string, number> = {};
  // The first message of each kind: what a hint can be read from (a TLS failure's reason).
  const examples: Record<string, string> = {};
  for (const r of run.records) {
    if (r.error === null) continue;
    if (!r.warmup) errors[r.error.kind] = (errors[r.error.kind] ?? 0) + 1;
    examples[r.error.kind] ??= r.error.message;
  }

  // lag: arrival − stamp − the run's smallest such difference (no clock sync needed).
  let minDiff = Infinity;
  for (const r of ok) {
    const tl = r.timeline;
    for (let i = 0; i < tl.length; i++) {
      const t = tl.t[i]!;
      if (Number.isNaN(t)) continue;
      const d = r.originMs + tl.arrivalUs[i]! / 1000 - t;
      if (d < minDiff) minDiff = d;
    }
  }

  let events = 0;
  let bytes = 0;
  let invalidUtf8 = 0;
  const parsedAs = new Set<string>();
  for (const r of ok) {
    const rec = (m: string, v: number | null) => {
      if (v !== null) recordClamped(h[m]!, v);
    };
    rec('connect_ms', r.connectUs);
    rec('headers_ms', r.headersUs);
    rec('first_byte_ms', r.firstByteUs);
    rec('first_event_ms', r.firstEventUs);
    rec('first_content_ms', r.firstContentUs);
    rec('total_ms', r.endUs);
    recordClamped(h['events_per_stream']!, r.events);
    for (const n of r.eventsPerRead) if (n > 0) recordClamped(h['events_per_read']!, n);
    if (r.serverStats !== null) {
      recordClamped(h['writes_per_stream']!, r.serverStats.writes);
      if (r.serverStats.server_first_chunk_ms !== null) rec('server_first_chunk_ms', r.serverStats.server_first_chunk_ms * 1000);
    }
    const tl = r.timeline;
    // Gaps between content events only: the time to `done` after the last token is not a stall
    // the user sees (its p50 read 0.00 ms for guide-before, where done shares the last read).
    let prevContentUs = NaN;
    for (let i = 0; i < tl.length; i++) {
      if (tl.content[i]) {
        if (!Number.isNaN(prevContentUs)) recordClamped(h['gap_ms']!, tl.arrivalUs[i]! - prevContentUs);
        prevContentUs = tl.arrivalUs[i]!;
      }
      const t = tl.t[i]!;
      if (!Number.isNaN(t)) {
        recordClamped(h['lag_ms']!, (r.originMs + tl.arrivalUs[i]! / 1000 - t - minDiff) * 1000);
        const tSrc = tl.tSrc[i]!;
        if (!Number.isNaN(tSrc)) recordClamped(h['hold_ms']!, (t - tSrc) * 1000);
      }
    }
    events += r.events;
    bytes += r.bytes;
    invalidUtf8 += r.invalidUtf8;
    if (r.format !== null) parsedAs.add(r.format);
  }
  const loop = run.loopDelay;
  // A load batch has no loop delay of its own (load-summary.ts); adding an empty histogram still walks it.
  if (loop.totalCount > 0) h['client_loop_delay_ms']!.add(loop);

  const metrics: Record<string, MetricStats> = {};
  for (const m of LATENCY_METRICS) metrics[m] = statsOf(h[m]!, 'ms');
  for (const m of STREAM_COUNT_METRICS) metrics[m] = statsOf(h[m]!, 'count');

  const seconds = run.wallMs / 1000;
  const failed = measured.length - ok.length;
  const scalars: Record<string, number> = {
    error_rate: errorRate(measured.length, failed, errors),
    requests_per_s: seconds > 0 ? round3(measured.length / seconds) : 0,
    events_per_s: seconds > 0 ? round3(events / seconds) : 0,
    bytes_per_s: seconds > 0 ? round3(bytes / seconds) : 0,
    client_cpu_pct: run.wallMs > 0 ? round3((run.cpuUs / 1000 / run.wallMs) * 100) : 0,
  };
  // What a transport and its compression cost on the wire (docs/metrics.md): successful streams only.
  let okWire = 0;
  let okEvents = 0;
  for (const r of ok) {
    okWire += r.wireBytes;
    okEvents += r.events;
  }
  if (okEvents > 0) scalars['wire_bytes_per_event'] = round3(okWire / okEvents);
  for (const [kind, n] of Object.entries(errors)) scalars[`errors.${kind}`] = n;

  const warnings: ReportWarning[] = [];
  if (invalidUtf8 > 0) warnings.push({ code: 'invalid_utf8', count: invalidUtf8, details: {} });
  const firstContent = ok.filter((r) => r.firstContentUs !== null);
  if (ok.length > 0 && firstContent.length < ok.length) {
    warnings.push({ code: 'no_content', count: ok.length - firstContent.length, details: {} });
  }
  // Each stream's own figures once: the LLM histograms and goodput both read them.
  const figures = new Map<StreamRecord, StreamFigures>();
  const figuresOf = (r: StreamRecord): StreamFigures => {
    let f = figures.get(r);
    if (f === undefined) figures.set(r, (f = streamFigures(r)));
    return f;
  };
  // LLM streams add ttft/ttfo/itl/tpot, tokens_per_event and output_tokens_per_s (llm-metrics.ts).
  const llm = summarizeLlm(ok, run.wallMs, histograms, figuresOf);
  if (llm !== null) {
    Object.assign(metrics, llm.metrics);
    Object.assign(scalars, llm.scalars);
    warnings.push(...llm.warnings);
  }
  const integrity: Record<string, number> = {};
  for (const r of measured) if (r.integrity !== null) integrity[r.integrity] = (integrity[r.integrity] ?? 0) + 1;
  for (const [kind, n] of Object.entries(integrity)) {
    if (madeFailures(measured, kind)) continue;
    warnings.push({ code: 'stream_integrity', count: n, details: { kind } });
  }
  let goodput: ReportConfiguration['goodput'];
  if (judge.slo !== undefined) {
    let good = 0;
    for (const r of ok) if (isGood(r, figuresOf(r), judge.slo)) good++;
    goodput = { slo: judge.slo.text, good, measured: measured.length };
    scalars['goodput'] = measured.length === 0 ? 0 : round3(good / measured.length);
    scalars['goodput_per_s'] = seconds > 0 ? round3(good / seconds) : 0;
  }
  const definitions = judge.definitions !== undefined ? definitionsView(judge.definitions, ok, histograms) : null;

  const first = ok[0];
  return {
    name,
    target: {
      ...target,
      http_version: first?.httpVersion ?? target.http_version,
      parsed_as: [...parsedAs],
      content_type: first === undefined || first.contentType === '' ? null : first.contentType,
      content_encoding: first === undefined ? null : first.contentEncoding === '' ? null : first.contentEncoding,
    },
    started_at: run.startedAt.toISOString(),
    duration_ms: round3(run.wallMs),
    requests: { measured: measured.length, warmup: run.records.length - measured.length, ok: ok.length, failed },
    errors,
    ...(Object.keys(examples).length > 0 ? { error_examples: examples } : {}),
    scalars,
    metrics,
    warnings,
    timelines: chooseTimelines(ok, keepTimelines),
    ...(llm !== null ? { llm: llm.summary } : {}),
    ...(Object.keys(integrity).length > 0 ? { stream_integrity: integrity } : {}),
    ...(goodput !== undefined ? { goodput } : {}),
    ...(definitions !== null ? { definitions } : {}),
  };
}

/** True when the streams of this integrity kind were made failures (strict streams): no warning then, they are in `errors`. */
function madeFailures(measured: readonly StreamRecord[], kind: string): boolean {
  return measured.some((r) => r.integrity === kind && r.error?.kind === kind);
}

/** The typical (median first_content_ms) and worst stream, then `keep` more in run order. */
export function chooseTimelines(ok: readonly StreamRecord[], keep: number): KeptTimeline[] {
  const ranked = ok.filter((r) => r.firstContentUs !== null).sort((a, b) => a.firstContentUs! - b.firstContentUs!);
  const out: KeptTimeline[] = [];
  const taken = new Set<number>();
  const take = (r: StreamRecord | undefined, role: KeptTimeline['role']) => {
    if (r === undefined || taken.has(r.index)) return;
    taken.add(r.index);
    out.push({
      role,
      request: r.index,
      first_content_ms: r.firstContentUs === null ? null : r.firstContentUs / 1000,
      total_ms: r.endUs / 1000,
      status: r.status,
      reads: r.reads,
      events: r.timeline.entries(),
    });
  };
  // The lower median: a real stream, not an average of two.
  take(ranked[Math.floor((ranked.length - 1) / 2)], 'typical');
  take(ranked[ranked.length - 1], 'worst');
  for (const r of ok) {
    if (out.length >= 2 + keep || keep <= 0) break;
    take(r, 'kept');
  }
  return out;
}
