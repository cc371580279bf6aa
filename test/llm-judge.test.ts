import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { DefinitionTool, Report, ReportConfiguration } from '../src/model/report.js';
import { DEFINITION_TOOLS } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { upstreamFor } from './llm-helpers.js';
import { runCli } from './helpers/serve-process.js';

/**
 * Issue 30's check: against the replay upstream with a known TTFT (60 ms), ITL (30 ms a chunk), a
 * reasoning prefix (6 tokens) and three tokens a chunk, every figure of every `--definitions` view
 * matches its formula computed by hand from the `--trace` file of the same run, and goodput matches
 * the share counted from that trace. The hand formulas below read only the trace lines.
 */

const cli = (args: string[]) => runCli(args, 120_000, { NO_COLOR: '1' }, { unset: ['OPENAI_API_KEY'] });

const MODEL = 'synthetic?ttft_ms=60&tps=100&tokens=12&reasoning=6&tokens_per_chunk=3&continuous_usage=1';

interface TraceEvent {
  type: 'event';
  request: number;
  arrival_us: number;
  kind: string;
  tokens: number | null;
}
interface TraceRequest {
  type: 'request';
  request: number;
  warmup: boolean;
  end_us: number;
  error: string | null;
  integrity: string | null;
  llm: boolean;
  output_tokens: number;
}
interface Stream {
  req: TraceRequest;
  events: TraceEvent[];
}

function streamsOf(jsonl: string): Stream[] {
  const byId = new Map<number, Stream>();
  for (const line of jsonl.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as TraceRequest | TraceEvent | { type: 'heartbeat' };
    if (o.type === 'request') byId.set(o.request, { req: o, events: [] });
    else if (o.type === 'event') byId.get(o.request)!.events.push(o);
  }
  return [...byId.values()].filter((s) => !s.req.warmup && s.req.error === null && s.req.llm);
}

const CONTENT = new Set(['text', 'reasoning', 'tool_call', 'content']);
const ms = (us: number) => us / 1000;
const gaps = (a: number[]) => a.slice(1).map((x, i) => x - a[i]!);

/** Each tool's formulas, by hand, from the trace (docs/metrics.md, "Every tool's definitions"). */
function byHand(tool: DefinitionTool, s: Stream): Record<string, number[]> {
  const T = s.events.filter((e) => e.kind === 'text').map((e) => ms(e.arrival_us));
  const H = s.events.filter((e) => CONTENT.has(e.kind) || e.kind === 'choices').map((e) => ms(e.arrival_us));
  const O = s.events.filter((e) => e.kind !== 'done' && e.kind !== 'error').map((e) => ms(e.arrival_us));
  const N = s.req.output_tokens;
  const E = ms(s.req.end_us);
  const one = (v: number | undefined) => (v === undefined ? [] : [v]);
  switch (tool) {
    case 'vllm':
      return { ttft_ms: one(H[0]), tpot_ms: N > 1 ? [(H.at(-1)! - H[0]!) / (N - 1)] : [], itl_ms: gaps(H), e2el_ms: one(H.at(-1)) };
    case 'genai-perf':
      return { time_to_first_token: one(T[0]), inter_token_latency: [(T.at(-1)! - T[0]!) / (N - 1)], request_latency: one(T.at(-1)), output_sequence_length: [N] };
    case 'llmperf':
      return { ttft_s: one(T[0]), inter_token_latency_s: [T.at(-1)! / N], end_to_end_latency_s: [E], number_output_tokens: [N] };
    case 'guidellm':
      return {
        time_to_first_token_ms: one(T[0]),
        inter_token_latency_ms: [(T.at(-1)! - T[0]!) / (N - 1)],
        time_per_output_token_ms: [T.at(-1)! / N],
        request_latency: [E],
        output_tokens: [N],
      };
    case 'otel':
      return {
        'gen_ai.client.operation.duration': [E],
        'gen_ai.client.operation.time_to_first_chunk': one(O[0]),
        'gen_ai.client.operation.time_per_output_chunk': gaps(O),
        'gen_ai.client.token.usage': [N],
      };
  }
}

/** 0.5 ms (the bound); above 500 ms the histogram's own 3 significant digits are the bound. */
const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(0.5, Math.abs(b) / 1000 + 0.001);

test('every --definitions view matches its formulas computed by hand from the same run\'s --trace; goodput is the share counted from it', async (t) => {
  const up = await upstreamFor(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-judge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const tool of DEFINITION_TOOLS) {
    const trace = path.join(dir, `${tool}.jsonl`);
    const slo = 'ttft_ms<5000,itl_ms.p99<5000,ttfo_ms<5000';
    const { code, stdout, stderr } = await cli(['bench', '--openai', up.url, '--model', MODEL, '-n', '4', '--warmup', '1', '--json', '--no-out', '--definitions', tool, '--trace', trace, '--slo', slo]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as Report;
    assert.deepEqual(reportErrors(report), []);
    const c = report.configurations[0]!;
    const streams = streamsOf(await readFile(trace, 'utf8'));
    assert.equal(streams.length, 4);
    // The profile as planned: 2 reasoning chunks then 4 text chunks of 3 tokens, 30 ms apart.
    for (const s of streams) {
      const kinds = s.events.filter((e) => CONTENT.has(e.kind)).map((e) => e.kind);
      assert.deepEqual(kinds, ['reasoning', 'reasoning', 'text', 'text', 'text', 'text']);
      assert.deepEqual(s.events.filter((e) => CONTENT.has(e.kind)).map((e) => e.tokens), [3, 3, 3, 3, 3, 3], 'continuous usage: each chunk says 3 tokens');
      assert.equal(s.req.output_tokens, 18);
    }
    const view = c.definitions!;
    assert.equal(view.tool, tool);
    for (const f of view.figures) {
      const values = streams.flatMap((s) => byHand(tool, s)[f.name] ?? assert.fail(`no hand formula for ${tool} ${f.name}`));
      assert.equal(f.stats.count, values.length, `${tool} ${f.name} count`);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sorted = [...values].sort((a, b) => a - b);
      // Percentiles by nearest rank, as HdrHistogram takes them (the ⌈p·n⌉-th smallest).
      const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
      const stats = [['min', sorted[0]!], ['max', sorted.at(-1)!], ['mean', mean], ['p50', rank(0.5)], ['p90', rank(0.9)], ['p99', rank(0.99)]] as const;
      for (const [stat, want] of stats) {
        assert.ok(near(f.stats[stat]!, want), `${tool} ${f.name}.${stat}: view ${f.stats[stat]} vs by hand ${want} (${f.formula})`);
      }
    }
    // Goodput: the requests of the trace that succeeded whole and met every term on their own figures.
    const good = streams.filter((s) => {
      const C = s.events.filter((e) => CONTENT.has(e.kind)).map((e) => ms(e.arrival_us));
      const T = s.events.filter((e) => e.kind === 'text').map((e) => ms(e.arrival_us));
      const g = gaps(C).sort((a, b) => a - b);
      const p99 = g.length === 0 ? 0 : g[Math.ceil(0.99 * g.length) - 1]!;
      return s.req.integrity === null && C[0]! < 5000 && p99 < 5000 && T[0]! < 5000;
    }).length;
    assert.deepEqual(c.goodput, { slo, good, measured: 4 });
    assert.equal(c.scalars['goodput'], good / 4);
  }
});

test('ttfo_ms skips the reasoning prefix; itl_per_token_ms is each gap over the 3 tokens of its chunk; a warning says chunks hold several tokens', async (t) => {
  const up = await upstreamFor(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-judge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const trace = path.join(dir, 'run.jsonl');
  // ttfo is at least 60 + 2 × 30 ms: an SLO of 110 ms on it fails every request, one on ttft does not.
  const { code, stdout, stderr } = await cli(['bench', '--openai', up.url, '--model', MODEL, '-n', '3', '--json', '--no-out', '--trace', trace, '--slo', 'ttft_ms<5000,ttfo_ms<110']);
  assert.equal(code, 0, stderr);
  const c: ReportConfiguration = (JSON.parse(stdout) as Report).configurations[0]!;
  assert.ok(c.metrics['ttft_ms']!.min! >= 59, `ttft ${c.metrics['ttft_ms']!.min}`);
  assert.ok(c.metrics['ttfo_ms']!.min! >= 119, `ttfo ${c.metrics['ttfo_ms']!.min}`);
  assert.ok(c.metrics['ttfo_ms']!.min! > c.metrics['ttft_ms']!.min!);
  assert.deepEqual(c.goodput, { slo: 'ttft_ms<5000,ttfo_ms<110', good: 0, measured: 3 });
  const streams = streamsOf(await readFile(trace, 'utf8'));
  const perToken = streams.flatMap((s) => gaps(s.events.filter((e) => CONTENT.has(e.kind)).map((e) => ms(e.arrival_us))).map((g) => g / 3));
  const itlPt = c.metrics['itl_per_token_ms']!;
  assert.equal(itlPt.count, perToken.length);
  assert.ok(near(itlPt.max!, Math.max(...perToken)), `itl_per_token_ms max ${itlPt.max} vs ${Math.max(...perToken)}`);
  assert.equal(c.metrics['tokens_per_event']!.mean, 3);
  assert.ok(c.warnings.some((w) => w.includes('more tokens (usage) than content events') && w.includes('itl_per_token_ms')), c.warnings.join('\n'));
});

test('gate reads goodput: goodput >= 0.95 holds for a met SLO and fails (exit 1) for a missed one', async (t) => {
  const up = await upstreamFor(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-judge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const report = path.join(dir, 'r.json');
  const model = 'synthetic?ttft_ms=40&tps=200&tokens=4&reasoning=2&tokens_per_chunk=2';
  const met = await cli(['bench', '--openai', up.url, '--model', model, '-n', '2', '--out', report, '--slo', 'ttft_ms<5000', '-q']);
  assert.equal(met.code, 0, met.stderr);
  const ok = await cli(['gate', report, '--threshold', 'goodput >= 0.95']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const missed = await cli(['bench', '--openai', up.url, '--model', model, '-n', '2', '--no-out', '--slo', 'ttfo_ms<1', '--threshold', 'goodput >= 0.95', '-q']);
  assert.equal(missed.code, 1, missed.stdout + missed.stderr);
  const bad = await cli(['bench', '--openai', up.url, '--model', model, '-n', '1', '--no-out', '--slo', 'ttft<500']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--slo: 'ttft' is not a per-request figure/);
});
