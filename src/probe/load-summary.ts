import type { Histogram } from 'hdr-histogram-js';
import { mergeConfigurations } from '../report/merge-reports.js';
import type { LoadFacts, MetricStats, ReportConfiguration, ReportTarget } from '../report/report.js';
import { newHistogram, recordClamped } from './metric-histogram.js';
import type { StreamRecord } from './record.js';
import { metricStats, summarizeRun } from './summarize-run.js';

/** Latencies that count from the start; in the open model each also as service time (`service_…`). */
const FROM_START = [
  ['connect_ms', 'connectUs'],
  ['headers_ms', 'headersUs'],
  ['first_byte_ms', 'firstByteUs'],
  ['first_event_ms', 'firstEventUs'],
  ['first_content_ms', 'firstContentUs'],
  ['total_ms', 'endUs'],
] as const;

/** Above this loop-delay p99 (ms) or CPU share of one core (%), the client may have been the bottleneck. */
export const CLIENT_LOOP_DELAY_P99_MS = 20;
export const CLIENT_CPU_PCT = 90;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Batch summaries kept before they are merged into one. */
const MAX_PARTS = 16;

/** What the runner measured besides the records. */
export interface LoadRunFacts {
  startedAt: Date;
  wallMs: number;
  cpuUs: number;
  loopDelay: Histogram;
  load: Omit<LoadFacts, 'client_bottleneck' | 'runs'>;
}

/**
 * Summarises a run of any size in bounded memory. Records come in as they finish; every `batch`
 * of them is summarised by `summarizeRun` (so each metric it knows is computed the one way) and
 * merged into the total through the encoded histograms, exactly as `merge` adds reports; then the
 * records, and their timelines, are dropped. Only the candidates for the typical, the worst and
 * `--keep-timelines` streams survive a batch.
 *
 * Two things cannot be added batch by batch and are kept here for the whole run: `lag_ms` (relative
 * to the smallest arrival − stamp difference of the *run*) and, in the open model, the `service_…`
 * times (from the actual start rather than the intended one).
 */
export class LoadSummary {
  private batch: StreamRecord[] = [];
  /** Timeline entries held by the batch: long streams flush sooner. */
  private batchEvents = 0;
  /** Summaries of the batches so far, merged (and so compacted) every `MAX_PARTS`. */
  private parts: ReportConfiguration[] = [];
  private readonly service: Map<string, Histogram> | null;
  private readonly serviceTtft = newHistogram();
  private events = 0;
  private bytes = 0;
  /** arrival − stamp, µs, relative to the run's first such difference: at or above it, and below it. */
  private lagRef: number | null = null;
  private readonly lagAbove = newHistogram();
  private readonly lagBelow = newHistogram();

  constructor(
    private readonly name: string,
    private readonly target: ReportTarget,
    private readonly keepTimelines: number,
    openModel: boolean,
    private readonly batchSize = 20_000,
    private readonly batchEventsMax = 200_000,
  ) {
    this.service = openModel ? new Map(FROM_START.map(([m]) => [`service_${m}`, newHistogram()])) : null;
  }

  add(r: StreamRecord): void {
    if (!r.warmup && r.error === null) {
      this.events += r.events;
      this.bytes += r.bytes;
      if (this.service !== null) {
        for (const [m, key] of FROM_START) {
          const v = r[key];
          if (v !== null) recordClamped(this.service.get(`service_${m}`)!, v - r.startUs);
        }
        // ttft_ms is the first content event of an LLM stream (llm-metrics.ts): its service time too.
        if (r.llm && r.firstContentUs !== null) recordClamped(this.serviceTtft, r.firstContentUs - r.startUs);
      }
      const tl = r.timeline;
      const epochMs = performance.timeOrigin + r.originMs;
      for (let i = 0; i < tl.length; i++) {
        const t = tl.t[i]!;
        if (Number.isNaN(t)) continue;
        const d = (epochMs + tl.arrivalUs[i]! / 1000 - t) * 1000;
        this.lagRef ??= d;
        const rel = d - this.lagRef;
        recordClamped(rel >= 0 ? this.lagAbove : this.lagBelow, Math.abs(rel));
      }
    }
    this.batch.push(r);
    this.batchEvents += r.timeline.length;
    if (this.batch.length >= this.batchSize || this.batchEvents >= this.batchEventsMax) this.flush();
  }

  /**
   * Summarising costs the event loop a few ms per metric (the statistics walk the histograms), so
   * batches are large (bounded by records and by timeline entries) and parts are merged rarely.
   */
  private flush(): void {
    if (this.batch.length === 0 && this.parts.length > 0) return;
    const empty = { startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: newHistogram() };
    this.parts.push(summarizeRun(this.name, this.target, { ...empty, records: this.batch }, this.keepTimelines));
    this.batch = [];
    this.batchEvents = 0;
    if (this.parts.length >= MAX_PARTS) this.parts = [this.merged()];
  }

  private merged(): ReportConfiguration {
    return this.parts.length === 1 ? this.parts[0]! : mergeConfigurations(this.parts, { keepTimelines: this.keepTimelines, warnings: 'sum' });
  }

  /** lag_ms over the whole run: each difference minus the run's smallest (histograms shifted bucket by bucket). */
  private lag(): MetricStats {
    const out = newHistogram();
    const above = this.lagAbove as unknown as BucketView;
    const below = this.lagBelow as unknown as BucketView;
    // The smallest difference, relative to the reference: the largest below it, else the reference itself (0).
    let shift = 0;
    for (let i = 0; i < below.countsArrayLength; i++) if (below.getCountAtIndex(i) > 0) shift = below.valueFromIndex(i);
    for (const [h, sign] of [[above, 1], [below, -1]] as const) {
      for (let i = 0; i < h.countsArrayLength; i++) {
        const n = h.getCountAtIndex(i);
        if (n > 0) (out as unknown as BucketView).recordValueWithCount(Math.max(0, Math.round(shift + sign * h.valueFromIndex(i))), n);
      }
    }
    return metricStats(out, 'ms');
  }

  finish(run: LoadRunFacts): ReportConfiguration {
    this.flush();
    const c = this.merged();
    const metrics: Record<string, MetricStats> = {};
    for (const [m, stats] of Object.entries(c.metrics)) {
      if (m === 'lag_ms') metrics[m] = this.lagRef === null ? stats : this.lag();
      else if (m === 'client_loop_delay_ms') metrics[m] = metricStats(run.loopDelay, 'ms');
      else metrics[m] = stats;
    }
    if (this.service !== null) for (const [m, h] of this.service) metrics[m] = metricStats(h, 'ms');
    if (this.serviceTtft.totalCount > 0) metrics['service_ttft_ms'] = metricStats(this.serviceTtft, 'ms');

    const seconds = run.wallMs / 1000;
    const cpuPct = run.wallMs > 0 ? round3((run.cpuUs / 1000 / run.wallMs) * 100) : 0;
    const scalars: Record<string, number> = {
      ...c.scalars,
      requests_per_s: seconds > 0 ? round3(c.requests.measured / seconds) : 0,
      events_per_s: seconds > 0 ? round3(this.events / seconds) : 0,
      bytes_per_s: seconds > 0 ? round3(this.bytes / seconds) : 0,
      client_cpu_pct: cpuPct,
    };
    if (c.llm !== undefined) scalars['output_tokens_per_s'] = seconds > 0 ? round3(c.llm.output_tokens / seconds) : 0;

    const warnings = [...c.warnings];
    const loopP99 = metrics['client_loop_delay_ms']?.p99 ?? null;
    const busyLoop = loopP99 !== null && loopP99 > CLIENT_LOOP_DELAY_P99_MS;
    const busyCpu = cpuPct >= CLIENT_CPU_PCT;
    if (busyLoop || busyCpu) {
      const why = [
        ...(busyLoop ? [`event-loop delay p99 ${loopP99} ms (> ${CLIENT_LOOP_DELAY_P99_MS} ms)`] : []),
        ...(busyCpu ? [`CPU ${cpuPct}% of one core (≥ ${CLIENT_CPU_PCT}%)`] : []),
      ].join(', ');
      warnings.push(
        `the client may have been the bottleneck: ${why}; latencies include time spent waiting in this process. ` +
          'Use fewer streams per process, or run one bench per machine and merge the reports (docs/distributed.md)',
      );
    }
    return {
      ...c,
      started_at: run.startedAt.toISOString(),
      duration_ms: round3(run.wallMs),
      scalars,
      metrics,
      warnings,
      totals: { events: this.events, bytes: this.bytes },
      load: { ...run.load, client_bottleneck: busyLoop || busyCpu, runs: 1 },
    };
  }
}

/** The bucket-level view of hdr-histogram-js's JsHistogram (public methods its typings leave out). */
interface BucketView {
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  recordValueWithCount(value: number, count: number): void;
}
