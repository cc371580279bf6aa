import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bench, type BenchOptions } from '../src/probe/bench.js';
import { buildOpenAiSpec } from '../src/probe/openai-request.js';
import { runBench } from '../src/probe/run-bench.js';
import { summarizeRun } from '../src/probe/summarize-run.js';
import { buildReport } from '../src/model/build-report.js';
import { reportEnvironment } from '../src/probe/machine-facts.js';
import type { ReportConfiguration, ReportTarget } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { startServer as startServe } from '../src/server/serve.js';
import { TEST_FLAGS, specFor } from './helpers/bench-spec.js';
import { scripted, startServer } from './helpers/start-server.js';
import { upstreamFor } from './llm-helpers.js';

/**
 * `bench --openai` and the LLM metrics against the real replay upstream on loopback. Bounds are
 * generous (a loaded CI machine adds tens of ms); the lower bounds are exact, since nothing can
 * arrive before the upstream writes it.
 */

const TARGET: ReportTarget = {
  url: 'http://127.0.0.1/',
  method: 'POST',
  http_version: '1.1',
  keep_alive: true,
  format: 'auto',
  parsed_as: [],
  content_type: null,
  content_encoding: null,
  accept_encoding: null,
  embedded_server: null,
};

function openAiBench(baseUrl: string, model: string, more: Partial<BenchOptions> = {}): Promise<Awaited<ReturnType<typeof bench>>> {
  return bench({
    ...TEST_FLAGS,
    requests: 4,
    warmup: 1,
    keepTimelines: 0,
    flushPolicy: 'adaptive',
    args: ['bench', '--openai', baseUrl],
    openai: { baseUrl, model },
    ...more,
  });
}

const config = (o: Awaited<ReturnType<typeof bench>>): ReportConfiguration => o.report.configurations[0]!;

test('bench --openai: TTFT close to the profile ttft_ms; ITL and TPOT close to 1000/tps; tokens from usage', async (t) => {
  const up = await upstreamFor(t);
  const outcome = await openAiBench(up.url, 'synthetic?ttft_ms=150&tps=50&tokens=12');
  assert.deepEqual(reportErrors(outcome.report), []);
  assert.equal(outcome.nothingMeasured, false);
  const c = config(outcome);
  assert.equal(c.name, 'synthetic?ttft_ms=150&tps=50&tokens=12');
  assert.equal(c.target.url, `${up.url}/chat/completions`);
  assert.deepEqual(c.requests, { measured: 4, warmup: 1, ok: 4, failed: 0 });

  const ttft = c.metrics['ttft_ms']!;
  assert.equal(ttft.count, 4);
  // The control: the same bench with no TTFT, under the same load. The profile's 150 ms come on
  // top of what the control took, plus timer lateness.
  const control = config(await openAiBench(up.url, 'synthetic?ttft_ms=0&tps=50&tokens=12')).metrics['ttft_ms']!;
  assert.ok(ttft.min! >= 149 && ttft.max! < 150 + control.max! + 100, `ttft ${ttft.min}…${ttft.max} ms for a profile ttft_ms=150 (control max ${control.max} ms)`);
  assert.deepEqual([ttft.min, ttft.max], [c.metrics['first_content_ms']!.min, c.metrics['first_content_ms']!.max]);
  // The role chunk comes with the headers: the first event is far earlier than the first token.
  const firstEvent = c.metrics['first_event_ms']!.p50!;
  assert.ok(firstEvent < ttft.p50! - 50, `first_event_ms p50 ${firstEvent} vs ttft_ms p50 ${ttft.p50}`);

  const itl = c.metrics['itl_ms']!;
  assert.equal(itl.count, 4 * 11, 'k content events give k − 1 gaps a stream');
  assert.ok(itl.p50! >= 10 && itl.p50! <= 60, `itl p50 ${itl.p50} ms for 1000/50 = 20 ms`);
  const tpot = c.metrics['tpot_ms']!;
  assert.equal(tpot.count, 4);
  // TPOT spans 11 intervals of 20 ms; timers fire late, never early, so the mean is ≥ ~20.
  assert.ok(tpot.mean! >= 19 && tpot.mean! <= 60, `tpot mean ${tpot.mean} ms for 20 ms`);

  assert.deepEqual(c.llm, { streams: 4, output_tokens: 48, token_source: 'usage', usage_streams: 4, stream_errors: 0 });
  assert.equal(c.metrics['tokens_per_event']!.count, 48);
  assert.equal(c.metrics['tokens_per_event']!.max, 1);
  const rate = c.scalars['output_tokens_per_s']!;
  assert.ok(rate > 0 && rate <= 48 / ((4 * (150 + 11 * 20)) / 1000) + 1, `output_tokens_per_s ${rate}`);
});

test('role-only, finish, usage-only chunks and [DONE] are not content; usage comes because include_usage was asked for', async (t) => {
  const up = await upstreamFor(t);
  const outcome = await openAiBench(up.url, 'synthetic?ttft_ms=60&tps=100&tokens=3', { requests: 1, warmup: 0 });
  const c = config(outcome);
  const events = c.timelines[0]!.events;
  // role, 3 content deltas, finish, usage, [DONE]
  assert.deepEqual(events.map((e) => e.content), [false, true, true, true, false, false, false]);
  assert.equal(c.llm?.token_source, 'usage', 'usage arrives only when include_usage was asked for');
  assert.equal(c.metrics['events_per_stream']!.max, 7);
  assert.equal(c.metrics['tokens_per_event']!.count, 3);
});

test('a plain bench URL that returns OpenAI chunks gets LLM metrics; without usage it counts content events', async (t) => {
  const up = await upstreamFor(t);
  const body = JSON.stringify({ model: 'synthetic?ttft_ms=40&tps=200&tokens=6', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const run = await runBench(await specFor(`${up.url}/chat/completions`, { body }), { requests: 3, warmup: 0 });
  const c = summarizeRun('plain', TARGET, run, 0);
  assert.deepEqual(reportErrors(buildReport('bench', [], [c], reportEnvironment())), []);
  assert.deepEqual(c.llm, { streams: 3, output_tokens: 18, token_source: 'content_events', usage_streams: 0, stream_errors: 0 });
  assert.ok(c.metrics['ttft_ms']!.min! >= 39);
  assert.equal(c.metrics['tpot_ms']!.count, 3);
});

test('token counts: usage when sent (bundled deltas give tokens_per_event > 1), else counted deltas', async (t) => {
  const chunk = (content: string) => `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
  const steps = [
    { delayMs: 0, data: 'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n' },
    { delayMs: 30, data: chunk('ab') },
    { delayMs: 30, data: chunk('cd') },
    { delayMs: 30, data: chunk('ef') },
    { delayMs: 0, data: 'data: {"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":7,"total_tokens":10}}\n\n' },
    { delayMs: 0, data: 'data: [DONE]\n\n' },
  ];
  const withUsage = await startServer(scripted(steps));
  t.after(() => withUsage.close());
  const a = summarizeRun('usage', TARGET, await runBench(await specFor(withUsage.url), { requests: 2, warmup: 0 }), 0);
  assert.deepEqual(a.llm, { streams: 2, output_tokens: 14, token_source: 'usage', usage_streams: 2, stream_errors: 0 });
  // 7 tokens in 3 events: one event is given 3, two get 2 (the mean, 7/3, is exact).
  const tpe = a.metrics['tokens_per_event']!;
  assert.deepEqual([tpe.count, tpe.min, tpe.max], [6, 2, 3]);
  assert.equal(tpe.mean, 2.333);
  // TPOT = (last − first content) / (7 − 1): two 30 ms gaps over 6 tokens ≈ 10 ms.
  const tpot = a.metrics['tpot_ms']!;
  assert.ok(tpot.min! >= 9 && tpot.max! < 40, `tpot ${tpot.min}…${tpot.max}`);
  // Two gaps a stream between its three content events; the role chunk's gap is not one of them.
  assert.equal(a.metrics['itl_ms']!.count, 4);
  assert.ok(a.metrics['itl_ms']!.p50! >= 15, `itl ${a.metrics['itl_ms']!.p50}`);

  const noUsage = await startServer(scripted(steps.filter((s) => !String(s.data).includes('usage'))));
  t.after(() => noUsage.close());
  const b = summarizeRun('counted', TARGET, await runBench(await specFor(noUsage.url), { requests: 2, warmup: 0 }), 0);
  assert.deepEqual(b.llm, { streams: 2, output_tokens: 6, token_source: 'content_events', usage_streams: 0, stream_errors: 0 });
  assert.equal(b.metrics['tokens_per_event']!.max, 1);
});

test('an in-stream error object is an error event, not content, and is counted', async (t) => {
  const up = await upstreamFor(t);
  const outcome = await openAiBench(up.url, 'synthetic?ttft_ms=20&tps=200&tokens=5&error_after=2', { requests: 2, warmup: 0 });
  const c = config(outcome);
  assert.equal(c.llm?.stream_errors, 2);
  assert.equal(c.llm?.output_tokens, 4, 'no usage came: the two content deltas of each stream were counted');
  assert.ok(c.warnings.some((w) => w.includes('error event')), c.warnings.join('\n'));
  const last = c.timelines[0]!.events.at(-1)!;
  assert.deepEqual([last.event, last.content], ['error', false]);
});

test('fail=429 and fail=401 are http_status errors; nothing measured; the key never reaches the report', async (t) => {
  const up = await upstreamFor(t);
  const key = 'sk-bench-SECRET-0123456789abcdef';
  process.env['OPENAI_API_KEY'] = key;
  t.after(() => delete process.env['OPENAI_API_KEY']);
  for (const status of [429, 401]) {
    const outcome = await openAiBench(up.url, `synthetic?fail=${status}`, { requests: 3, warmup: 0 });
    const c = config(outcome);
    assert.deepEqual(c.errors, { http_status: 3 });
    assert.equal(c.scalars['errors.http_status'], 3);
    assert.equal(c.llm, undefined, 'no successful stream, no LLM summary');
    assert.equal(outcome.nothingMeasured, true);
    assert.match(outcome.reason, /http_status 3/);
    assert.ok(!JSON.stringify(outcome.report).includes(key), 'the key is not in the report');
    assert.ok(!outcome.reason.includes(key));
  }
});

test('the key goes into the Authorization header only; no --model takes the first of GET /models; --max-tokens is sent', async (t) => {
  const seen = await startServer((req, res) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'first-model' }, { id: 'second' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n');
  });
  t.after(() => seen.close());
  const key = 'sk-file-SECRET-fedcba9876543210';
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/nbs-key-`);
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(`${dir}/key`, `${key}\n`);
  const { spec, model } = await buildOpenAiSpec({ baseUrl: `${seen.url}/v1/`, keyFile: `${dir}/key`, maxTokens: 7, prompt: 'hello' }, TEST_FLAGS);
  assert.equal(model, 'first-model');
  assert.equal(spec.url.href, `${seen.url}/v1/chat/completions`);
  assert.equal(spec.method, 'POST');
  assert.equal(spec.headers['authorization'], `Bearer ${key}`);
  assert.equal(spec.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(String(spec.body)), {
    model: 'first-model',
    messages: [{ role: 'user', content: 'hello' }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 7,
  });
  assert.equal(seen.requests[0]?.headers.authorization, `Bearer ${key}`, 'GET /models carries the key too');

  const outcome = await bench({ ...TEST_FLAGS, requests: 2, warmup: 0, keepTimelines: 5, flushPolicy: 'adaptive', args: [], openai: { baseUrl: `${seen.url}/v1`, keyFile: `${dir}/key` } });
  assert.equal(seen.requests.at(-1)?.headers.authorization, `Bearer ${key}`);
  assert.ok(!JSON.stringify(outcome.report).includes(key));
  assert.equal(config(outcome).llm?.token_source, 'content_events');
});

test("our server's chat operation: done.usage gives the tokens, and the guide's policy shows as tokens_per_event > 1", async (t) => {
  const up = await upstreamFor(t);
  process.env['OPENAI_BASE_URL'] = up.url;
  t.after(() => delete process.env['OPENAI_BASE_URL']);
  const body = JSON.stringify({
    notebook_id: 'n1',
    operation: { type: 'chat', model: 'synthetic?ttft_ms=30&tps=100&tokens=40', messages: [{ role: 'user', content: 'hi' }] },
    lang: 'en',
  });
  const results: Record<string, ReportConfiguration> = {};
  for (const policy of ['adaptive', 'guide-before'] as const) {
    const server = await startServe({ port: 0, logLevel: 'silent', flushPolicy: policy });
    try {
      const run = await runBench(await specFor(`${server.url}/send_operation`, { body }), { requests: 2, warmup: 0 });
      results[policy] = summarizeRun(policy, TARGET, run, 0);
    } finally {
      await server.shutdown(0);
    }
  }
  const adaptive = results['adaptive']!;
  const before = results['guide-before']!;
  assert.deepEqual(adaptive.llm, { streams: 2, output_tokens: 80, token_source: 'usage', usage_streams: 2, stream_errors: 0 });
  assert.equal(adaptive.metrics['tokens_per_event']!.max, 1, 'adaptive: one event per delta');
  assert.equal(before.llm?.output_tokens, 80);
  assert.ok(before.metrics['tokens_per_event']!.mean! > 2, `guide-before bundles: ${before.metrics['tokens_per_event']!.mean} tokens per event`);
  assert.ok(before.metrics['ttft_ms']!.min! >= 29);
});
