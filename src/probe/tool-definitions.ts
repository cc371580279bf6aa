import { recordClamped } from '../model/metric-histogram.js';
import { FRESH_HISTOGRAMS, type Histograms } from '../model/metric-stats.js';
import type { StreamRecord } from '../model/record.js';
import type { DefinitionFigure, DefinitionTool, DefinitionsView } from '../model/report.js';
import { outputTokensOf } from './stream-figures.js';

/**
 * The run's LLM streams under another tool's names and formulas (`bench --definitions TOOL`),
 * computed from the same timelines as ours (docs/metrics.md, "Every tool's definitions", has the
 * table and the source of every formula). Times count from the intended start; N is ours (the
 * server's `usage`, else content events), not a tokenizer's.
 *
 * Per stream, from the kinds of its events (timeline.ts): T₁ … Tₘ the events with visible text
 * (what reads `delta.content`), H₁ … Hⱼ the events with a non-empty `choices` array or other
 * content (vLLM's "chunk"), O₁ … Oₚ every event but `[DONE]`/`done` and errors (an SDK's stream
 * chunks), E the end of the response.
 */

interface FigureSpec {
  name: string;
  unit: DefinitionFigure['unit'];
  formula: string;
  /** Values a stream contributes: µs for times, a count for tokens. */
  values: (s: StreamPoints) => number[];
}

interface StreamPoints {
  text: number[];
  chunks: number[];
  sdkChunks: number[];
  end: number;
  n: number;
}

const first = (a: number[]) => (a.length > 0 ? [a[0]!] : []);
const gaps = (a: number[]) => a.slice(1).map((x, i) => x - a[i]!);

const SPECS: Record<DefinitionTool, { source: string; figures: FigureSpec[] }> = {
  vllm: {
    source: 'vllm-project/vllm vllm/benchmarks/lib/endpoint_request_func.py (02cfb534), vllm/benchmarks/serve.py (009e6d4a)',
    figures: [
      { name: 'ttft_ms', unit: 'ms', formula: 'H₁', values: (s) => first(s.chunks) },
      { name: 'tpot_ms', unit: 'ms', formula: '(Hⱼ − H₁) / (N − 1), N > 1', values: (s) => (s.chunks.length > 0 && s.n > 1 ? [(s.chunks.at(-1)! - s.chunks[0]!) / (s.n - 1)] : []) },
      { name: 'itl_ms', unit: 'ms', formula: 'Hᵢ₊₁ − Hᵢ, pooled', values: (s) => gaps(s.chunks) },
      { name: 'e2el_ms', unit: 'ms', formula: 'Hⱼ (latency: the last chunk with choices)', values: (s) => (s.chunks.length > 0 ? [s.chunks.at(-1)!] : []) },
    ],
  },
  'genai-perf': {
    source: 'triton-inference-server/perf_analyzer genai-perf/genai_perf/profile_data_parser/llm_profile_data_parser.py (00168fe7)',
    figures: [
      { name: 'time_to_first_token', unit: 'ms', formula: 'T₁', values: (s) => first(s.text) },
      { name: 'inter_token_latency', unit: 'ms', formula: '(Tₘ − T₁) / (N − 1), N > 1', values: (s) => (s.text.length > 0 && s.n > 1 ? [(s.text.at(-1)! - s.text[0]!) / (s.n - 1)] : []) },
      { name: 'request_latency', unit: 'ms', formula: 'Tₘ (the last response with content)', values: (s) => (s.text.length > 0 ? [s.text.at(-1)!] : []) },
      { name: 'output_sequence_length', unit: 'tokens', formula: 'N', values: (s) => [s.n] },
    ],
  },
  llmperf: {
    source: 'ray-project/llmperf src/llmperf/ray_clients/openai_chat_completions_client.py (0451d33b), token_benchmark_ray.py (004d3afb)',
    figures: [
      { name: 'ttft_s', unit: 's', formula: 'T₁', values: (s) => first(s.text) },
      { name: 'inter_token_latency_s', unit: 's', formula: 'Tₘ / N (TTFT included)', values: (s) => (s.text.length > 0 && s.n > 0 ? [s.text.at(-1)! / s.n] : []) },
      { name: 'end_to_end_latency_s', unit: 's', formula: 'E', values: (s) => [s.end] },
      { name: 'number_output_tokens', unit: 'tokens', formula: 'N', values: (s) => [s.n] },
    ],
  },
  guidellm: {
    source: 'vllm-project/guidellm src/guidellm/schemas/request_stats.py (06cef291)',
    figures: [
      { name: 'time_to_first_token_ms', unit: 'ms', formula: 'T₁', values: (s) => first(s.text) },
      { name: 'inter_token_latency_ms', unit: 'ms', formula: '(Tₘ − T₁) / (N − 1), N > 1', values: (s) => (s.text.length > 0 && s.n > 1 ? [(s.text.at(-1)! - s.text[0]!) / (s.n - 1)] : []) },
      { name: 'time_per_output_token_ms', unit: 'ms', formula: 'Tₘ / N (TTFT included)', values: (s) => (s.text.length > 0 && s.n > 0 ? [s.text.at(-1)! / s.n] : []) },
      { name: 'request_latency', unit: 's', formula: 'E', values: (s) => [s.end] },
      { name: 'output_tokens', unit: 'tokens', formula: 'N', values: (s) => [s.n] },
    ],
  },
  otel: {
    source: 'OpenTelemetry semantic conventions v1.41.0, docs/gen-ai/gen-ai-metrics.md (client metrics)',
    figures: [
      { name: 'gen_ai.client.operation.duration', unit: 's', formula: 'E', values: (s) => [s.end] },
      { name: 'gen_ai.client.operation.time_to_first_chunk', unit: 's', formula: 'O₁', values: (s) => first(s.sdkChunks) },
      { name: 'gen_ai.client.operation.time_per_output_chunk', unit: 's', formula: 'Oᵢ₊₁ − Oᵢ, every chunk after the first', values: (s) => gaps(s.sdkChunks) },
      { name: 'gen_ai.client.token.usage', unit: 'tokens', formula: 'N (gen_ai.token.type = output)', values: (s) => [s.n] },
    ],
  },
};

function pointsOf(r: StreamRecord): StreamPoints {
  const tl = r.timeline;
  const text: number[] = [];
  const chunks: number[] = [];
  const sdkChunks: number[] = [];
  for (let i = 0; i < tl.length; i++) {
    const kind = tl.kind[i]!;
    const at = tl.arrivalUs[i]!;
    if (kind === 'text') text.push(at);
    if (tl.content[i] || kind === 'choices') chunks.push(at);
    if (kind !== 'done' && kind !== 'error') sdkChunks.push(at);
  }
  return { text, chunks, sdkChunks, end: r.endUs, n: outputTokensOf(r).tokens };
}

/**
 * The view of `tool` over the successful LLM streams `ok`; null when there were none. Its
 * histograms are keyed `definitions:NAME`, apart from the report's metrics (a load run lends its
 * own, load-summary.ts).
 */
export function definitionsView(tool: DefinitionTool, ok: readonly StreamRecord[], histograms: Histograms = FRESH_HISTOGRAMS): DefinitionsView | null {
  const llm = ok.filter((r) => r.llm);
  if (llm.length === 0) return null;
  const spec = SPECS[tool];
  const statsOf = histograms.stats;
  const hs = spec.figures.map((f) => histograms.of(`definitions:${f.name}`));
  for (const r of llm) {
    const p = pointsOf(r);
    spec.figures.forEach((f, i) => {
      for (const v of f.values(p)) recordClamped(hs[i]!, v);
    });
  }
  return {
    tool,
    source: spec.source,
    figures: spec.figures.map((f, i) => ({ name: f.name, unit: f.unit, formula: f.formula, stats: statsOf(hs[i]!, f.unit === 'tokens' ? 'count' : 'ms') })),
  };
}
