import type { BrowserFacts } from './browser.js';
import type { Histogram } from 'hdr-histogram-js';
import { UsageError } from './errors.js';
import { field, ft } from './field-text.js';
import { decodeHistogram, newHistogram } from './metric-histogram.js';
import { errorRate } from './error-rate.js';
import { metricStats, round3 } from './metric-stats.js';
import { buildReport, type ReportEnvironment } from './build-report.js';
import type { DefinitionsView, GoodputSummary, KeptTimeline, LlmSummary, LoadFacts, MetricStats, Report, ReportConfiguration } from './report.js';



export interface MergeOptions {
  /** `kept` timelines to keep beyond the typical and the worst: a number, or every one. */
  keepTimelines: number | 'all';
  /**
   * `sum`: warnings that differ only in whole numbers are one warning with the numbers added (the
   * batches of one run). `distinct`: each different warning once (reports from several machines).
   */
  warnings: 'sum' | 'distinct';
}

/** Adds histograms of one metric; the statistics are recomputed from the sum. */
function mergeMetric(parts: readonly MetricStats[]): MetricStats {
  const sum: Histogram = newHistogram();
  for (const p of parts) sum.add(decodeHistogram(p.histogram));
  return metricStats(sum, parts[0]!.unit);
}

/** The totals behind a configuration's rates; older reports without `totals` give them back from the rates. */
export function totalsOf(c: ReportConfiguration): { events: number; bytes: number } {
  if (c.totals !== undefined) return c.totals;
  const s = c.duration_ms / 1000;
  return { events: Math.round((c.scalars['events_per_s'] ?? 0) * s), bytes: Math.round((c.scalars['bytes_per_s'] ?? 0) * s) };
}

function mergeWarnings(lists: readonly string[][], mode: MergeOptions['warnings']): string[] {
  const out = new Map<string, number[] | null>();
  for (const list of lists) {
    for (const w of list) {
      // Only whole numbers are summed: a warning with a decimal (a p99, a percentage) is kept as is.
      const key = mode === 'sum' && !/\d\.\d/.test(w) ? w.replace(/\d+/g, '#') : w;
      const nums = key === w ? null : (w.match(/\d+/g) ?? []).map(Number);
      const prev = out.get(key);
      if (prev === undefined) out.set(key, nums);
      else if (prev !== null && nums !== null) out.set(key, prev.map((n, i) => n + (nums[i] ?? 0)));
    }
  }
  return [...out].map(([key, nums]) => (nums === null ? key : key.replace(/#/g, () => String(nums.shift()))));
}

/** LLM summaries add; the token source is `mixed` unless every input agrees. */
function mergeLlm(parts: readonly (LlmSummary | undefined)[]): LlmSummary | undefined {
  const defined = parts.filter((p): p is LlmSummary => p !== undefined);
  const first = defined[0];
  if (first === undefined) return undefined;
  const sum = (f: (l: LlmSummary) => number) => defined.reduce((n, l) => n + f(l), 0);
  return {
    streams: sum((l) => l.streams),
    output_tokens: sum((l) => l.output_tokens),
    token_source: defined.every((l) => l.token_source === first.token_source) ? first.token_source : 'mixed',
    usage_streams: sum((l) => l.usage_streams),
    stream_errors: sum((l) => l.stream_errors),
  };
}

/** Goodput adds when every input counted it against the same objectives; otherwise it is left out. */
function mergeGoodput(parts: readonly ReportConfiguration[]): GoodputSummary | undefined {
  const first = parts[0]?.goodput;
  if (first === undefined || !parts.every((p) => p.goodput?.slo === first.slo)) return undefined;
  return { slo: first.slo, good: parts.reduce((n, p) => n + p.goodput!.good, 0), measured: parts.reduce((n, p) => n + p.goodput!.measured, 0) };
}

/** One tool's views add figure by figure (histograms); views of different tools are left out. */
function mergeDefinitions(parts: readonly ReportConfiguration[]): DefinitionsView | undefined {
  const views = parts.flatMap((p) => (p.definitions === undefined ? [] : [p.definitions]));
  const first = views[0];
  if (first === undefined || !views.every((v) => v.tool === first.tool)) return undefined;
  return {
    ...first,
    figures: first.figures.map((f) => ({ ...f, stats: mergeMetric(views.flatMap((v) => v.figures.filter((g) => g.name === f.name).map((g) => g.stats))) })),
  };
}

/** Integrity counts add, kind by kind. */
function mergeCounts(parts: readonly (Record<string, number> | undefined)[]): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p ?? {})) out[k] = (out[k] ?? 0) + n;
  return Object.keys(out).length > 0 ? out : undefined;
}

function mergeLoad(parts: readonly (LoadFacts | undefined)[]): LoadFacts | undefined {
  const defined = parts.filter((p): p is LoadFacts => p !== undefined);
  const first = defined[0];
  if (first === undefined) return undefined;
  const sum = (f: (l: LoadFacts) => number | null) =>
    defined.every((l) => f(l) !== null) ? round3(defined.reduce((n, l) => n + f(l)!, 0)) : null;
  return {
    model: first.model,
    concurrency: sum((l) => l.concurrency),
    rate: sum((l) => l.rate),
    arrival: first.arrival,
    max_in_flight: sum((l) => l.max_in_flight),
    connections: sum((l) => l.connections)!,
    connections_opened: sum((l) => l.connections_opened)!,
    requests_on_reused_connections: sum((l) => l.requests_on_reused_connections)!,
    planned_requests: sum((l) => l.planned_requests),
    planned_duration_s: defined.every((l) => l.planned_duration_s !== null) ? Math.max(...defined.map((l) => l.planned_duration_s!)) : null,
    client_bottleneck: defined.some((l) => l.client_bottleneck),
    runs: defined.reduce((n, l) => n + l.runs, 0),
  };
}

/**
 * The typical stream is the candidate closest to the merged median first_content_ms, the worst
 * the largest; the other candidates follow as `kept`, in run order, up to `keep`. Exact for the
 * worst; the typical is the nearest stream any input kept.
 */
function mergeTimelines(parts: readonly ReportConfiguration[], medianMs: number | null, keep: MergeOptions['keepTimelines']): KeptTimeline[] {
  return chooseAmong(
    parts.flatMap((p) => p.timelines),
    medianMs,
    keep,
  );
}

/** The typical, the worst and `keep` more, chosen again among timelines kept before (see mergeTimelines). */
export function chooseAmong(all: readonly KeptTimeline[], medianMs: number | null, keep: MergeOptions['keepTimelines']): KeptTimeline[] {
  const ranked = all.filter((t) => t.first_content_ms !== null);
  const out: KeptTimeline[] = [];
  const used = new Set<KeptTimeline>();
  if (ranked.length > 0 && medianMs !== null) {
    let typical = ranked[0]!;
    for (const t of ranked) if (Math.abs(t.first_content_ms! - medianMs) < Math.abs(typical.first_content_ms! - medianMs)) typical = t;
    let worst = ranked[0]!;
    for (const t of ranked) if (t.first_content_ms! > worst.first_content_ms!) worst = t;
    out.push({ ...typical, role: 'typical' });
    used.add(typical);
    if (!used.has(worst)) {
      out.push({ ...worst, role: 'worst' });
      used.add(worst);
    }
  }
  // The rest, in run order, as `kept`: an input's typical or worst that lost here is a stream it
  // kept all the same (a batch of one run may have had no room for `kept` ones of its own).
  const limit = keep === 'all' ? Infinity : keep;
  const rest = all.filter((t) => !used.has(t)).sort((a, b) => a.request - b.request);
  for (const t of rest.slice(0, limit)) out.push({ ...t, role: 'kept' });
  return out;
}

/**
 * Merges configurations exactly: histograms add, counts add, the duration spans the earliest start
 * to the latest end (runs on several machines run side by side), and every rate is recomputed
 * from the totals over that span. `client_cpu_pct` is the largest input's (each client on its own).
 */
export function mergeConfigurations(parts: readonly ReportConfiguration[], options: MergeOptions): ReportConfiguration {
  const first = parts[0];
  if (first === undefined) throw new Error('mergeConfigurations: nothing to merge');
  const names = new Set<string>();
  for (const p of parts) for (const m of Object.keys(p.metrics)) names.add(m);
  const metrics: Record<string, MetricStats> = {};
  for (const m of names) metrics[m] = mergeMetric(parts.flatMap((p) => (p.metrics[m] === undefined ? [] : [p.metrics[m]!])));

  const starts = parts.map((p) => Date.parse(p.started_at));
  const start = Math.min(...starts);
  const durationMs = round3(Math.max(...parts.map((p, i) => starts[i]! - start + p.duration_ms)));
  const requests = { measured: 0, warmup: 0, ok: 0, failed: 0 };
  const errors: Record<string, number> = {};
  const totals = { events: 0, bytes: 0 };
  for (const p of parts) {
    requests.measured += p.requests.measured;
    requests.warmup += p.requests.warmup;
    requests.ok += p.requests.ok;
    requests.failed += p.requests.failed;
    for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
    const t = totalsOf(p);
    totals.events += t.events;
    totals.bytes += t.bytes;
  }
  const s = durationMs / 1000;
  const scalars: Record<string, number> = {
    error_rate: errorRate(requests.measured, requests.failed, errors),
    requests_per_s: s > 0 ? round3(requests.measured / s) : 0,
    events_per_s: s > 0 ? round3(totals.events / s) : 0,
    bytes_per_s: s > 0 ? round3(totals.bytes / s) : 0,
    client_cpu_pct: Math.max(...parts.map((p) => p.scalars['client_cpu_pct'] ?? 0)),
  };
  // Scalars this code does not know (a later probe's) are kept when the inputs agree on them.
  for (const [k, v] of Object.entries(first.scalars)) {
    if (k in scalars || k.startsWith('errors.')) continue;
    if (parts.every((p) => p.scalars[k] === v)) scalars[k] = v;
  }
  const llm = mergeLlm(parts.map((p) => p.llm));
  if (llm !== undefined) scalars['output_tokens_per_s'] = s > 0 ? round3(llm.output_tokens / s) : 0;
  for (const [kind, n] of Object.entries(errors)) scalars[`errors.${kind}`] = n;
  const goodput = mergeGoodput(parts);
  if (goodput !== undefined) {
    scalars['goodput'] = goodput.measured === 0 ? 0 : round3(goodput.good / goodput.measured);
    scalars['goodput_per_s'] = s > 0 ? round3(goodput.good / s) : 0;
  } else {
    delete scalars['goodput'];
    delete scalars['goodput_per_s'];
  }
  const definitions = mergeDefinitions(parts);
  const integrity = mergeCounts(parts.map((p) => p.stream_integrity));

  const parsedAs = new Set(parts.flatMap((p) => p.target.parsed_as));
  const median = metrics['first_content_ms']?.p50 ?? null;
  const load = mergeLoad(parts.map((p) => p.load));
  return {
    name: first.name,
    target: { ...first.target, parsed_as: [...parsedAs], http_version: parts.find((p) => p.target.http_version !== null)?.target.http_version ?? null },
    started_at: new Date(start).toISOString(),
    duration_ms: durationMs,
    requests,
    errors,
    scalars,
    metrics,
    warnings: mergeWarnings(
      parts.map((p) => p.warnings),
      options.warnings,
    ),
    timelines: mergeTimelines(parts, median, options.keepTimelines),
    totals,
    ...(load !== undefined ? { load } : {}),
    ...(llm !== undefined ? { llm } : {}),
    ...(integrity !== undefined ? { stream_integrity: integrity } : {}),
    ...(goodput !== undefined ? { goodput } : {}),
    ...(definitions !== undefined ? { definitions } : {}),
    ...(parts.some((p) => p.error_examples !== undefined) ? { error_examples: Object.assign({}, ...[...parts].reverse().map((p) => p.error_examples ?? {})) as Record<string, string> } : {}),
    // The earliest input's cold start: a merged run started once per input, the first is its start.
    ...(parts.find((p) => p.cold_start !== undefined)?.cold_start !== undefined ? { cold_start: parts.find((p) => p.cold_start !== undefined)!.cold_start! } : {}),
    // compare: the policy's settings when every input had the same; each input's rounds, renumbered.
    ...(first.flush_settings !== undefined && parts.every((p) => JSON.stringify(p.flush_settings) === JSON.stringify(first.flush_settings))
      ? { flush_settings: first.flush_settings }
      : {}),
    ...(parts.some((p) => p.rounds !== undefined)
      ? { rounds: parts.flatMap((p) => p.rounds ?? []).map((r, i) => ({ ...r, round: i + 1 })) }
      : {}),
    ...mergeBrowser(parts.map((p) => p.browser)),
  };
}

/** bench --browser runs: counts add, queued streams and failures are listed together, the first run's page timelines stay. */
function mergeBrowser(parts: ReadonlyArray<BrowserFacts | undefined>): { browser?: BrowserFacts } {
  const bs = parts.filter((b): b is BrowserFacts => b !== undefined);
  const first = bs[0];
  if (first === undefined) return {};
  const same = <K extends keyof BrowserFacts>(k: K) => (bs.every((b) => b[k] === first[k]) ? first[k] : null);
  return {
    browser: {
      ...first,
      protocol: same('protocol'),
      overhead_from: same('overhead_from'),
      requests: bs.reduce((r, b) => ({ measured: r.measured + b.requests.measured, ok: r.ok + b.requests.ok, failed: r.failed + b.requests.failed }), { measured: 0, ok: 0, failed: 0 }),
      errors: [...new Set(bs.flatMap((b) => b.errors))].slice(0, 5),
      queued_streams: bs.flatMap((b) => b.queued_streams),
    },
  };
}

/** What makes two configurations measure the same thing. */
function targetKey(c: ReportConfiguration): string {
  return `${c.target.method} ${c.target.url}`;
}

export interface ReportInput {
  file: string;
  report: Report;
}

const FORCE_HINT = { code: 'NBS_HINT_FORCE', text: ft`rerun with ${field('force')} to merge anyway` } as const;

/**
 * `notebook-stream merge`: configurations with the same name merge across the reports (a report
 * holds one or more). Different schema versions or different targets for one name are refused
 * (exit 2) unless `force`.
 */
export function mergeReports(inputs: readonly ReportInput[], args: readonly string[], force: boolean, env: ReportEnvironment): Report {
  if (inputs.length === 0) throw new UsageError('merge: give at least one report');
  const versions = new Set(inputs.map((i) => (i.report as { schemaVersion: unknown }).schemaVersion));
  if (versions.size > 1 && !force) {
    const list = inputs.map((i) => `${i.file} (schemaVersion ${String((i.report as { schemaVersion: unknown }).schemaVersion)})`).join(', ');
    throw new UsageError(`merge: reports of different schema versions: ${list}`, { code: 'NBS_USAGE_MISMATCH', hint: FORCE_HINT });
  }
  const byName = new Map<string, Array<{ file: string; c: ReportConfiguration }>>();
  for (const { file, report } of inputs) {
    for (const c of report.configurations) {
      const list = byName.get(c.name) ?? [];
      list.push({ file, c });
      byName.set(c.name, list);
    }
  }
  if (!force) {
    for (const [name, list] of byName) {
      const keys = new Set(list.map((x) => targetKey(x.c)));
      if (keys.size > 1) {
        const seen = list.map((x) => `${x.file}: ${targetKey(x.c)}`).join('; ');
        throw new UsageError(`merge: configuration '${name}' has different targets (${seen})`, { code: 'NBS_USAGE_MISMATCH', details: { configuration: name }, hint: FORCE_HINT });
      }
      // A closed and an open run answer different questions (latency from the intended start or not).
      const models = new Set(list.map((x) => x.c.load?.model ?? 'closed'));
      if (models.size > 1) {
        const seen = list.map((x) => `${x.file}: ${x.c.load?.model ?? 'closed'}`).join('; ');
        throw new UsageError(`merge: configuration '${name}' mixes load models (${seen})`, { code: 'NBS_USAGE_MISMATCH', details: { configuration: name }, hint: FORCE_HINT });
      }
    }
  }
  const configurations = [...byName.values()].map((list) =>
    mergeConfigurations(
      list.map((x) => x.c),
      { keepTimelines: 'all', warnings: 'distinct' },
    ),
  );
  const report = buildReport('merge', args, configurations, env);
  report.merged_from = inputs.map(({ file, report: r }) => ({
    file,
    created_at: r.created_at,
    command: r.command,
    machine: r.machine,
    node: r.node,
    args: r.args,
  }));
  return report;
}
