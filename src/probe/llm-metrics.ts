import type { Histogram } from 'hdr-histogram-js';
import type { LlmSummary, MetricStats } from '../model/report.js';
import { recordClamped } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { FRESH_HISTOGRAMS, round3, type Histograms } from '../model/metric-stats.js';
import type { ReportWarning } from '../model/warnings.js';
import { streamFigures, type StreamFigures } from './stream-figures.js';

/** LLM latencies (µs histograms, reported in ms) and counts; docs/metrics.md defines each. */
export const LLM_LATENCY_METRICS = ['ttft_ms', 'ttfo_ms', 'itl_ms', 'itl_per_token_ms', 'tpot_ms'] as const;
export const LLM_COUNT_METRICS = ['tokens_per_event'] as const;
export const LLM_METRICS: readonly string[] = [...LLM_LATENCY_METRICS, ...LLM_COUNT_METRICS];

/** What the LLM streams of a run add to its configuration. */
export interface LlmResult {
  metrics: Record<string, MetricStats>;
  scalars: { output_tokens_per_s: number };
  summary: LlmSummary;
  warnings: ReportWarning[];
}

/**
 * LLM metrics of the successful, measured records of a run (`ok`), over `wallMs` of the run; null
 * when none of them was an LLM stream (a notebook stream gets no token metrics). Per stream, with
 * C₁ … Cₖ the arrivals of its content events and N its output tokens (stream-figures.ts):
 * - `ttft_ms`: C₁ from the intended start (the same instant as `first_content_ms`);
 * - `ttfo_ms`: the first visible text (reasoning and tool-call deltas excluded);
 * - `itl_ms`: every gap Cᵢ₊₁ − Cᵢ (k − 1 samples a stream);
 * - `itl_per_token_ms`: each gap ÷ the tokens of its later event (the server's running usage), else ÷ N/k;
 * - `tpot_ms`: (Cₖ − C₁) / (N − 1), one sample a stream with N > 1;
 * - `tokens_per_event`: N spread over the k content events in whole numbers (N mod k of them get
 *   ⌈N/k⌉, the rest ⌊N/k⌋): the mean is exact, the spread within one stream is not measured;
 * - `output_tokens_per_s`: Σ N over the run's wall time.
 */
export function summarizeLlm(
  ok: readonly StreamRecord[],
  wallMs: number,
  histograms: Histograms = FRESH_HISTOGRAMS,
  figuresOf: (r: StreamRecord) => StreamFigures = streamFigures,
): LlmResult | null {
  const llm = ok.filter((r) => r.llm);
  if (llm.length === 0) return null;
  const statsOf = histograms.stats;
  const h: Record<string, Histogram> = {};
  for (const m of LLM_METRICS) h[m] = histograms.of(m);
  let outputTokens = 0;
  let usageStreams = 0;
  let streamErrors = 0;
  let bundled = 0;
  let bundledTokens = 0;
  let bundledEvents = 0;
  for (const r of llm) {
    const f = figuresOf(r);
    outputTokens += f.tokens;
    if (f.fromUsage) usageStreams++;
    if (r.timeline.kind.includes('error')) streamErrors++;
    if (f.ttftUs === null) continue;
    recordClamped(h['ttft_ms']!, f.ttftUs);
    if (f.ttfoUs !== null) recordClamped(h['ttfo_ms']!, f.ttfoUs);
    for (const g of f.gapsUs) recordClamped(h['itl_ms']!, g);
    for (const g of f.perTokenUs) recordClamped(h['itl_per_token_ms']!, g);
    if (f.tpotUs !== null) recordClamped(h['tpot_ms']!, f.tpotUs);
    const events = f.contentEvents;
    const tokens = f.tokens;
    if (f.fromUsage && tokens > events) {
      bundled++;
      bundledTokens += tokens;
      bundledEvents += events;
    }
    const base = Math.floor(tokens / events);
    const extra = tokens - base * events;
    if (extra > 0) h['tokens_per_event']!.recordValueWithCount(base + 1, extra);
    if (events - extra > 0) h['tokens_per_event']!.recordValueWithCount(base, events - extra);
  }
  const metrics: Record<string, MetricStats> = {};
  for (const m of LLM_LATENCY_METRICS) metrics[m] = statsOf(h[m]!, 'ms');
  for (const m of LLM_COUNT_METRICS) metrics[m] = statsOf(h[m]!, 'count');
  const tokenSource = usageStreams === llm.length ? 'usage' : usageStreams === 0 ? 'content_events' : 'mixed';
  const warnings: ReportWarning[] = [];
  if (tokenSource === 'mixed') warnings.push({ code: 'llm_no_usage', count: llm.length - usageStreams, details: { streams: llm.length } });
  if (streamErrors > 0) warnings.push({ code: 'llm_stream_errors', count: streamErrors, details: {} });
  if (bundled > 0) {
    // Speculative decoding or server batching: a chunk holds several tokens (issue 30).
    warnings.push({ code: 'llm_bundled_tokens', count: bundled, details: { tokens: bundledTokens, events: bundledEvents } });
  }
  return {
    metrics,
    scalars: { output_tokens_per_s: wallMs > 0 ? round3(outputTokens / (wallMs / 1000)) : 0 },
    summary: { streams: llm.length, output_tokens: outputTokens, token_source: tokenSource, usage_streams: usageStreams, stream_errors: streamErrors },
    warnings,
  };
}
