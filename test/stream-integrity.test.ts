import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bench, type BenchOptions } from '../src/probe/bench.js';
import { mergeConfigurations } from '../src/model/merge-reports.js';
import { parseSlo } from '../src/model/slo.js';
import type { ReportConfiguration } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { TEST_FLAGS } from './helpers/bench-spec.js';
import { upstreamFor } from './llm-helpers.js';

/**
 * Stream integrity (docs/metrics.md, "Stream integrity") against the replay upstream: each way a
 * stream can be broken while its transport succeeds is its own kind, counted by default and a
 * failure with strict streams; a whole stream is judged whole.
 */

async function run(baseUrl: string, model: string, more: Partial<BenchOptions> = {}): Promise<ReportConfiguration> {
  const outcome = await bench({
    ...TEST_FLAGS,
    requests: 2,
    warmup: 0,
    keepTimelines: 0,
    flushPolicy: 'adaptive',
    args: ['bench'],
    openai: { baseUrl, model },
    ...more,
  });
  assert.deepEqual(reportErrors(outcome.report), []);
  return outcome.report.configurations[0]!;
}

test('error mid-stream, a 200 error body, a cut before [DONE]: each its own kind, counted; failures with strict streams', async (t) => {
  const up = await upstreamFor(t);
  const cases: Array<[string, string]> = [
    ['synthetic?ttft_ms=5&tps=500&tokens=5&error_after=2', 'stream_error'],
    ['synthetic?error_body=1', 'error_body'],
    ['synthetic?ttft_ms=5&tps=500&tokens=5&cut_after=3', 'stream_cut'],
  ];
  for (const [model, kind] of cases) {
    const counted = await run(up.url, model);
    assert.deepEqual(counted.stream_integrity, { [kind]: 2 }, model);
    assert.deepEqual(counted.errors, {}, `${model}: counted, not failed`);
    assert.ok(counted.warnings.some((w) => w.includes(`judged ${kind}`)), counted.warnings.join('\n'));
    const strict = await run(up.url, model, { strictStreams: true });
    assert.deepEqual(strict.errors, { [kind]: 2 }, model);
    assert.equal(strict.scalars[`errors.${kind}`], 2);
    assert.equal(strict.scalars['error_rate'], 1);
    assert.deepEqual(strict.stream_integrity, { [kind]: 2 });
  }
  const whole = await run(up.url, 'synthetic?ttft_ms=5&tps=500&tokens=5', { strictStreams: true });
  assert.equal(whole.stream_integrity, undefined);
  assert.deepEqual(whole.errors, {});
});

test('heartbeats: a silence of 400 ms with heartbeats every 30 ms is whole; without them (a proxy stripped them) it is heartbeat_missing', async (t) => {
  const up = await upstreamFor(t);
  const slow = 'synthetic?ttft_ms=400&tps=2.5&tokens=2';
  const withBeats = await run(up.url, `${slow}&heartbeat_ms=30`, { heartbeatMs: 100, strictStreams: true });
  assert.deepEqual(withBeats.errors, {}, JSON.stringify(withBeats.stream_integrity));
  const stripped = await run(up.url, slow, { heartbeatMs: 100, strictStreams: true });
  assert.deepEqual(stripped.errors, { heartbeat_missing: 2 });
  // Without a known interval nothing is judged: no interval, no expectation.
  const unknown = await run(up.url, slow);
  assert.equal(unknown.stream_integrity, undefined);
});

test('goodput and a --definitions view merge exactly: counts and histograms add', async (t) => {
  const up = await upstreamFor(t);
  const slo = parseSlo('ttft_ms < 5000, itl_ms.p99 < 5000');
  assert.equal(slo.text, 'ttft_ms<5000,itl_ms.p99<5000');
  const model = 'synthetic?ttft_ms=5&tps=500&tokens=4';
  const a = await run(up.url, model, { slo, definitions: 'otel' });
  const b = await run(up.url, `${model}&error_after=1`, { slo, definitions: 'otel', requests: 3 });
  assert.deepEqual(a.goodput, { slo: slo.text, good: 2, measured: 2 });
  assert.deepEqual(b.goodput, { slo: slo.text, good: 0, measured: 3 }, 'a stream with an error event is never good');
  const m = mergeConfigurations([a, b], { keepTimelines: 0, warnings: 'distinct' });
  assert.deepEqual(m.goodput, { slo: slo.text, good: 2, measured: 5 });
  assert.equal(m.scalars['goodput'], 0.4);
  const count = (c: ReportConfiguration, name: string) => c.definitions!.figures.find((f) => f.name === name)!.stats.count;
  for (const name of ['gen_ai.client.operation.duration', 'gen_ai.client.operation.time_per_output_chunk']) {
    assert.equal(count(m, name), count(a, name) + count(b, name), name);
  }
  const other = mergeConfigurations([a, { ...b, goodput: { ...b.goodput!, slo: 'ttft_ms<1' } }], { keepTimelines: 0, warnings: 'distinct' });
  assert.equal(other.goodput, undefined, 'goodput against different objectives does not add');
  assert.equal(other.scalars['goodput'], undefined);
});
