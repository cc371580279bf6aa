import type { Histogram } from 'hdr-histogram-js';
import type { LlmSummary, MetricStats } from '../model/report.js';
import { newHistogram, recordClamped } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { metricStats, type StatsOf } from '../model/metric-stats.js';

/** LLM latencies (µs histograms, reported in ms) and counts; docs/metrics.md defines each. */
export const LLM_LATENCY_METRICS = ['ttft_ms', 'itl_ms', 'tpot_ms'] as const;
export const LLM_COUNT_METRICS = ['tokens_per_event'] as const;
export const LLM_METRICS: readonly string[] = [...LLM_LATENCY_METRICS, ...LLM_COUNT_METRICS];

/** What the LLM streams of a run add to its configuration. */
export interface LlmResult {
  metrics: Record<string, MetricStats>;
  scalars: { output_tokens_per_s: number };
  summary: LlmSummary;
  warnings: string[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The output tokens of one stream and where the count came from: the server's `usage` when it sent
 * one, else its content events (one delta is taken for one token, as GuideLLM does without usage).
 */
export function outputTokensOf(r: StreamRecord): { tokens: number; fromUsage: boolean } {
  return r.outputTokens !== null ? { tokens: r.outputTokens, fromUsage: true } : { tokens: r.contentEvents, fromUsage: false };
}

/**
 * LLM metrics of the successful, measured records of a run (`ok`), over `wallMs` of the run; null
 * when none of them was an LLM stream (a notebook stream gets no token metrics). Per stream, with
 * C₁ … Cₖ the arrivals of its content events and N its output tokens:
 * - `ttft_ms`: C₁ from the intended start (the same instant as `first_content_ms`);
 * - `itl_ms`: every gap Cᵢ₊₁ − Cᵢ (k − 1 samples a stream);
 * - `tpot_ms`: (Cₖ − C₁) / (N − 1), one sample a stream with N > 1;
 * - `tokens_per_event`: N spread over the k content events in whole numbers (N mod k of them get
 *   ⌈N/k⌉, the rest ⌊N/k⌋): the mean is exact, the spread within one stream is not measured;
 * - `output_tokens_per_s`: Σ N over the run's wall time.
 */
export function summarizeLlm(ok: readonly StreamRecord[], wallMs: number, statsOf: StatsOf = metricStats): LlmResult | null {
  const llm = ok.filter((r) => r.llm);
  if (llm.length === 0) return null;
  const h: Record<string, Histogram> = {};
  for (const m of LLM_METRICS) h[m] = newHistogram();
  let outputTokens = 0;
  let usageStreams = 0;
  let streamErrors = 0;
  for (const r of llm) {
    const { tokens, fromUsage } = outputTokensOf(r);
    outputTokens += tokens;
    if (fromUsage) usageStreams++;
    const tl = r.timeline;
    let first = -1;
    let last = -1;
    let events = 0;
    let failed = false;
    for (let i = 0; i < tl.length; i++) {
      if (tl.event[i] === 'error') failed = true;
      if (!tl.content[i]) continue;
      const at = tl.arrivalUs[i]!;
      if (first < 0) first = at;
      else recordClamped(h['itl_ms']!, at - last);
      last = at;
      events++;
    }
    if (failed) streamErrors++;
    if (first < 0) continue;
    recordClamped(h['ttft_ms']!, first);
    if (tokens > 1) recordClamped(h['tpot_ms']!, (last - first) / (tokens - 1));
    const base = Math.floor(tokens / events);
    const extra = tokens - base * events;
    if (extra > 0) h['tokens_per_event']!.recordValueWithCount(base + 1, extra);
    if (events - extra > 0) h['tokens_per_event']!.recordValueWithCount(base, events - extra);
  }
  const metrics: Record<string, MetricStats> = {};
  for (const m of LLM_LATENCY_METRICS) metrics[m] = statsOf(h[m]!, 'ms');
  for (const m of LLM_COUNT_METRICS) metrics[m] = statsOf(h[m]!, 'count');
  const tokenSource = usageStreams === llm.length ? 'usage' : usageStreams === 0 ? 'content_events' : 'mixed';
  const warnings: string[] = [];
  if (tokenSource === 'mixed') {
    warnings.push(`${llm.length - usageStreams} of ${llm.length} LLM streams sent no usage: their output tokens are their content events`);
  }
  if (streamErrors > 0) warnings.push(`${streamErrors} LLM streams carried an error event`);
  return {
    metrics,
    scalars: { output_tokens_per_s: wallMs > 0 ? round3(outputTokens / (wallMs / 1000)) : 0 },
    summary: { streams: llm.length, output_tokens: outputTokens, token_source: tokenSource, usage_streams: usageStreams, stream_errors: streamErrors },
    warnings,
  };
}
