import type { Histogram } from 'hdr-histogram-js';
import { chooseAmong, mergeConfigurations } from '../model/merge-reports.js';
import type { ColdStart, DefinitionsView, KeptTimeline, LoadFacts, MetricStats, ReportConfiguration, ReportTarget } from '../model/report.js';
import { bucketsOf, newHistogram, recordClamped } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { metricStats, round3, type Histograms } from '../model/metric-stats.js';
import { summarizeRun, type JudgeOptions } from './summarize-run.js';

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
/**
 * Shorter runs are not judged for a client bottleneck: over 10–30 ms (a refused connection, a
 * failed TLS handshake) start-up alone reads as 188 % of a core (issue 32).
 */
export const CLIENT_JUDGE_MIN_MS = 1000;


/** Candidates for the typical stream kept between batches (those nearest the running median). */
const CANDIDATES = 32;

/** What the runner measured besides the records. */
export interface LoadRunFacts {
  startedAt: Date;
  wallMs: number;
  cpuUs: number;
  loopDelay: Histogram;
  load: Omit<LoadFacts, 'client_bottleneck' | 'runs'>;
}

/**
 * Summarises a run of any size in bounded memory. Records come in as they finish; every batch of
 * them is summarised by `summarizeRun` (so each metric it knows is computed the one way), recording
 * into the run's histograms, and the rest merged as `merge` adds reports; then the records, and their
 * timelines, are dropped. Only the candidates for the typical, the worst and `--keep-timelines`
 * streams survive a batch. Statistics are computed once, at the end.
 *
 * Three things cannot be added batch by batch and are kept here for the whole run: `lag_ms` (relative
 * to the smallest arrival − stamp difference of the *run*), `wire_bytes_per_event` (a ratio of run
 * totals) and, in the open model, the `service_…` times (from the actual start rather than the
 * intended one).
 */
export class LoadSummary {
  private batch: StreamRecord[] = [];
  /** Timeline entries held by the batch: long streams flush sooner. */
  private batchEvents = 0;
  /** Everything of the batches so far but metrics and timelines (requests, errors, warnings, …). */
  private rest: ReportConfiguration | null = null;
  /**
   * The run's histograms, one per metric (and per `--definitions` figure, keyed `definitions:NAME`):
   * a batch records straight into them (issue 31: no fresh ~94 KB histogram per metric and batch).
   */
  private readonly running = new Map<string, { unit: MetricStats['unit']; h: Histogram }>();
  /** Timelines the batches kept: candidates for the typical, the worst and `kept` (pruned). */
  private candidates: KeptTimeline[] = [];
  private readonly histograms: Histograms = {
    of: (m) => {
      let r = this.running.get(m);
      // The unit is known once the batch's statistics name it (flush).
      if (r === undefined) this.running.set(m, (r = { unit: 'ms', h: newHistogram() }));
      return r.h;
    },
    // Statistics wait for the end: computing them walks every histogram (tens of ms a batch).
    stats: (h, unit) => ({ unit, count: h.totalCount, p50: null, p90: null, p99: null, 'p99.9': null, min: null, max: null, mean: null, stdev: null, histogram: '' }),
  };
  /** A batch's loop delay: the run's is measured by the runner and taken at the end. */
  private readonly noLoopDelay = newHistogram();
  private readonly service: Map<string, Histogram> | null;
  /** The first batch's `--definitions` view: names, units and formulas (its stats are rebuilt at the end). */
  private view: DefinitionsView | null = null;
  private readonly serviceTtft = newHistogram();
  private events = 0;
  private bytes = 0;
  /** Wire bytes of the successful streams: `wire_bytes_per_event` is a ratio of run totals (a batch's would not merge). */
  private wireBytes = 0;
  /** The first warm-up request: a cold start (new connection, cold server paths), reported apart. */
  private cold: ColdStart | null = null;
  /** arrival − stamp, µs, relative to the run's first such difference: at or above it, and below it. */
  private lagRef: number | null = null;
  private readonly lagAbove = newHistogram();
  private readonly lagBelow = newHistogram();

  constructor(
    private readonly name: string,
    private readonly target: ReportTarget,
    private readonly keepTimelines: number,
    openModel: boolean,
    // Small batches: a record should die young. At 10,000+ requests/s a batch of 2,000 lived through
    // two scavenges and was promoted, and the copying was a tenth of bench's CPU (issue 31).
    private readonly batchSize = 128,
    private readonly batchEventsMax = 10_000,
    private readonly judge: JudgeOptions = {},
  ) {
    this.service = openModel ? new Map(FROM_START.map(([m]) => [`service_${m}`, newHistogram()])) : null;
  }

  add(r: StreamRecord): void {
    if (r.warmup && this.cold === null) this.cold = coldStart(r);
    if (!r.warmup && r.error === null) {
      this.events += r.events;
      this.wireBytes += r.wireBytes;
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
   * A batch is summarised by `summarizeRun` into the run's histograms with its statistics deferred
   * (computing them walks every histogram: tens of ms, which would delay every stamp taken
   * meanwhile); the rest is merged and the timelines kept as candidates.
   */
  private flush(): void {
    if (this.batch.length === 0 && this.rest !== null) return;
    const run = { startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: this.noLoopDelay, records: this.batch };
    const part = summarizeRun(this.name, this.target, run, this.keepTimelines, this.histograms, this.judge);
    this.batch = [];
    this.batchEvents = 0;
    // Every metric of the batch was recorded into `running` (histograms.of); only its unit is news.
    for (const [m, stats] of Object.entries(part.metrics)) this.running.get(m)!.unit = stats.unit;
    // A tool's view (--definitions): names, units and formulas from the first batch.
    if (part.definitions !== undefined) this.view ??= { ...part.definitions, figures: part.definitions.figures.map((f) => ({ ...f })) };
    this.candidates.push(...part.timelines);
    const { definitions: _view, ...rest } = part;
    const light: ReportConfiguration = { ...rest, metrics: {}, timelines: [] };
    this.rest = this.rest === null ? light : mergeConfigurations([this.rest, light], { keepTimelines: 0 });
    this.pruneCandidates();
  }

  /** Keeps the worst, the first `keep` in run order, and the CANDIDATES nearest the running median. */
  private pruneCandidates(): void {
    const limit = CANDIDATES + 1 + this.keepTimelines;
    if (this.candidates.length <= limit) return;
    const fc = this.running.get('first_content_ms')?.h;
    const median = fc === undefined || fc.totalCount === 0 ? 0 : fc.getValueAtPercentile(50) / 1000;
    const withContent = this.candidates.filter((t) => t.first_content_ms !== null);
    const keep = new Set<KeptTimeline>();
    let worst: KeptTimeline | undefined;
    for (const t of withContent) if (worst === undefined || t.first_content_ms! > worst.first_content_ms!) worst = t;
    if (worst !== undefined) keep.add(worst);
    for (const t of [...this.candidates].sort((a, b) => a.request - b.request).slice(0, this.keepTimelines)) keep.add(t);
    const near = withContent.filter((t) => !keep.has(t)).sort((a, b) => Math.abs(a.first_content_ms! - median) - Math.abs(b.first_content_ms! - median));
    for (const t of near.slice(0, CANDIDATES)) keep.add(t);
    this.candidates = this.candidates.filter((t) => keep.has(t));
  }

  /** lag_ms over the whole run: each difference minus the run's smallest (histograms shifted bucket by bucket). */
  private lag(): MetricStats {
    const out = newHistogram();
    const above = bucketsOf(this.lagAbove);
    const below = bucketsOf(this.lagBelow);
    // The smallest difference, relative to the reference: the largest below it, else the reference itself (0).
    let shift = 0;
    for (let i = 0; i < below.countsArrayLength; i++) if (below.getCountAtIndex(i) > 0) shift = below.valueFromIndex(i);
    for (const [h, sign] of [[above, 1], [below, -1]] as const) {
      for (let i = 0; i < h.countsArrayLength; i++) {
        const n = h.getCountAtIndex(i);
        if (n > 0) out.recordValueWithCount(Math.max(0, Math.round(shift + sign * h.valueFromIndex(i))), n);
      }
    }
    return metricStats(out, 'ms');
  }

  finish(run: LoadRunFacts): ReportConfiguration {
    this.flush();
    const c = this.rest!;
    const metrics: Record<string, MetricStats> = {};
    for (const [m, { unit, h }] of this.running) {
      if (m.startsWith('definitions:')) continue;
      if (m === 'lag_ms' && this.lagRef !== null) metrics[m] = this.lag();
      else if (m === 'client_loop_delay_ms') metrics[m] = metricStats(run.loopDelay, 'ms');
      else metrics[m] = metricStats(h, unit);
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
    if (this.events > 0) scalars['wire_bytes_per_event'] = round3(this.wireBytes / this.events);
    if (c.llm !== undefined) scalars['output_tokens_per_s'] = seconds > 0 ? round3(c.llm.output_tokens / seconds) : 0;
    if (c.goodput !== undefined) scalars['goodput_per_s'] = seconds > 0 ? round3(c.goodput.good / seconds) : 0;
    const view: DefinitionsView | null =
      this.view === null
        ? null
        : { ...this.view, figures: this.view.figures.map((f) => ({ ...f, stats: metricStats(this.running.get(`definitions:${f.name}`)!.h, f.stats.unit) })) };

    const warnings = [...c.warnings];
    const loopP99 = metrics['client_loop_delay_ms']?.p99 ?? null;
    const judged = run.wallMs >= CLIENT_JUDGE_MIN_MS;
    const busyLoop = judged && loopP99 !== null && loopP99 > CLIENT_LOOP_DELAY_P99_MS;
    const busyCpu = judged && cpuPct >= CLIENT_CPU_PCT;
    if (busyLoop || busyCpu) {
      warnings.push({
        code: 'client_bottleneck',
        count: 1,
        details: {
          loop_delay_p99_ms: busyLoop ? loopP99 : null,
          loop_delay_limit_ms: CLIENT_LOOP_DELAY_P99_MS,
          cpu_pct: busyCpu ? cpuPct : null,
          cpu_limit_pct: CLIENT_CPU_PCT,
        },
      });
    }
    const fc = metrics['first_content_ms'];
    return {
      ...c,
      timelines: chooseAmong(this.candidates, fc === undefined || fc.count === 0 ? null : fc.p50, this.keepTimelines),
      started_at: run.startedAt.toISOString(),
      duration_ms: round3(run.wallMs),
      scalars,
      metrics,
      warnings,
      totals: { events: this.events, bytes: this.bytes },
      ...(this.cold !== null ? { cold_start: this.cold } : {}),
      load: { ...run.load, client_bottleneck: busyLoop || busyCpu, runs: 1 },
      ...(view !== null ? { definitions: view } : {}),
    };
  }
}

const msOf = (us: number | null) => (us === null ? null : round3(us / 1000));

/** The first warm-up request's times, in ms (docs/bench.md, "Warm-up and the cold start"). */
function coldStart(r: StreamRecord): ColdStart {
  return {
    connect_ms: msOf(r.connectUs),
    headers_ms: msOf(r.headersUs),
    first_content_ms: msOf(r.firstContentUs),
    total_ms: msOf(r.endUs),
    error: r.error === null ? null : r.error.kind,
  };
}
