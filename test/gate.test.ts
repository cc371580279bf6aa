import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../src/model/errors.js';
import { parseMaxRegression, parseThreshold } from '../src/probe/gate-expression.js';
import { checkRegression, checkThreshold, evaluateGates, readValue } from '../src/probe/gate.js';
import { parseGatesConfig } from '../src/probe/gates-config.js';
import { handConfig, handReport, stats } from './helpers/hand-report.js';

const current = handConfig(
  'adaptive',
  {
    first_content_ms: stats('ms', { count: 8, p50: 21, p99: 25, 'p99.9': 25.5, max: 26 }),
    ttft_ms: stats('ms', { count: 0 }),
  },
  { requests_per_s: 8, server_cpu_ms_per_stream: 1.5, 'errors.reset': 2 },
);
const baseline = handConfig('adaptive', { first_content_ms: stats('ms', { count: 8, p50: 20, p99: 24 }) }, { requests_per_s: 10 });

test('thresholds read stats and scalars; no samples never passes', () => {
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.p99 < 150')).passed, true);
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.p99 < 25')).passed, false);
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.p99 <= 25')).passed, true);
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.p99.9 > 25.5')).passed, false);
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.p99.9 >= 25.5')).passed, true);
  assert.equal(checkThreshold(current, parseThreshold('first_content_ms.count >= 8')).value, 8);
  assert.equal(checkThreshold(current, parseThreshold('error_rate < 0.01')).passed, true);
  // A kind the run never saw counts 0; a kind it saw counts.
  assert.equal(readValue(current, { metric: 'errors.idle_timeout', stat: null }), 0);
  assert.equal(checkThreshold(current, parseThreshold('errors.reset < 1')).passed, false);
  for (const expr of ['ttft_ms.p50 < 1000', 'ttft_ms.count >= 0', 'itl_ms.p99 < 1000', 'output_tokens_per_s > 0']) {
    const c = checkThreshold(current, parseThreshold(expr));
    assert.equal(c.passed, false, expr);
    assert.equal(c.value, null);
    assert.match(c.detail, /no samples/);
  }
});

test('regressions are direction-aware; --min-delta-ms forgives small absolute changes', () => {
  const p50 = (pct: number, min = 0) => checkRegression(current, baseline, parseMaxRegression(`first_content_ms.p50:${pct}%`), min);
  // 20 → 21 ms is +5 %.
  assert.equal(p50(10).passed, true);
  assert.equal(p50(5).passed, true);
  assert.equal(p50(4).passed, false);
  assert.equal(p50(4).regression_pct, 5);
  assert.equal(p50(4, 1.5).passed, true, 'a 1 ms rise is within --min-delta-ms 1.5');
  // A rate falling 10 → 8 is a 20 % regression; the same numbers the other way round are better.
  const rate = checkRegression(current, baseline, parseMaxRegression('requests_per_s:10%'), 0);
  assert.equal(rate.passed, false);
  assert.equal(rate.regression_pct, 20);
  const better = checkRegression(baseline, current, parseMaxRegression('requests_per_s:0%'), 0);
  assert.equal(better.passed, true);
  assert.equal(better.regression_pct, -25);
  // --min-delta-ms is in ms: it does not forgive a rate.
  assert.equal(checkRegression(current, baseline, parseMaxRegression('requests_per_s:10%'), 100).passed, false);
  // No samples on either side fails.
  assert.equal(checkRegression(current, baseline, parseMaxRegression('ttft_ms.p50:10%'), 0).passed, false);
  assert.equal(checkRegression(current, baseline, parseMaxRegression('server_cpu_ms_per_stream:10%'), 0).passed, false);
  // From a baseline of 0, any rise is a regression with no percentage.
  const zero = handConfig('z', { hold_ms: stats('ms', { count: 1, p50: 0 }) });
  const up = handConfig('z', { hold_ms: stats('ms', { count: 1, p50: 3 }) });
  const c = checkRegression(up, zero, parseMaxRegression('hold_ms.p50:1000%'), 0);
  assert.equal(c.passed, false);
  assert.equal(c.regression_pct, null);
  assert.equal(checkRegression(up, zero, parseMaxRegression('hold_ms.p50:1000%'), 5).passed, true);
});

test('evaluateGates picks the configuration (--select) and the baseline by name', () => {
  const two = handReport([handConfig('guide-before', {}), current]);
  const spec = { thresholds: [parseThreshold('first_content_ms.p99 < 150')], maxRegressions: [], minDeltaMs: 0 };
  assert.throws(
    () => evaluateGates(two, 'r.json', spec, undefined),
    (e: unknown) =>
      e instanceof UsageError && e.code === 'NBS_USAGE_AMBIGUOUS' && e.hint?.code === 'NBS_HINT_SELECT' && /holds 2 configurations \(guide-before, adaptive\): pick one with select NAME/.test(e.message),
  );
  assert.throws(() => evaluateGates(two, 'r.json', spec, 'nope'), /select: 'r.json' has no configuration 'nope' \(it has: guide-before, adaptive\)/);
  const o = evaluateGates(two, 'r.json', spec, 'adaptive');
  assert.equal(o.configuration, 'adaptive');
  assert.equal(o.passed, true);
  const withBase = evaluateGates(two, 'r.json', { ...spec, maxRegressions: [parseMaxRegression('first_content_ms.p50:1%')] }, 'adaptive', {
    report: handReport([handConfig('guide-before', {}), baseline]),
    file: 'b.json',
  });
  assert.deepEqual(withBase.baseline, { report: 'b.json', configuration: 'adaptive' });
  assert.equal(withBase.passed, false);
  assert.throws(
    () => evaluateGates(two, 'r.json', { ...spec, maxRegressions: [parseMaxRegression('first_content_ms.p50:1%')] }, 'adaptive'),
    (err: unknown) => err instanceof UsageError && err.code === 'NBS_USAGE_REQUIRES' && err.field === 'maxRegressions' && /^maxRegressions needs baseline FILE/.test(err.message),
  );
});

test('gates.json: checked by schema/gates.schema.json; each mistake names the file and the JSON path', () => {
  const g = parseGatesConfig('{"$schema":"../schema/gates.schema.json","thresholds":["error_rate < 0.01"],"max_regression":["first_content_ms.p50:10%"]}', 'gates.json');
  assert.equal(g.thresholds[0]!.metric, 'error_rate');
  assert.equal(g.maxRegressions[0]!.pct, 10);
  const usage = (text: string, message: RegExp) =>
    assert.throws(
      () => parseGatesConfig(text, 'gates.json'),
      (err: unknown) => err instanceof UsageError && err.field === 'config' && message.test(err.message),
      message.source,
    );
  usage('{', /^config 'gates.json': not JSON/);
  usage('[]', /^config 'gates.json': \/: must be object/);
  usage('{"threshold":[]}', /^config 'gates.json': \/: unknown key 'threshold' \(known: thresholds, max_regression\)/);
  usage('{"thresholds":"error_rate < 1"}', /^config 'gates.json': \/thresholds: must be array/);
  usage('{"max_regression":["first_content_ms.p50:1%", 7]}', /^config 'gates.json': \/max_regression\/1: must be string/);
  usage('{"thresholds":["error_rate < 1", "nope < 1"]}', /^config 'gates.json' \/thresholds\/1 'nope < 1': unknown metric/);
});
