import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitCode, UsageError } from '../src/model/errors.js';
import { GateSyntaxError, parseMaxRegression, parseThreshold } from '../src/probe/gate-expression.js';
import { METRIC_NAMES, STAT_NAMES } from '../src/model/metric-catalog.js';

function syntaxError(fn: () => unknown, code: string, message?: RegExp): GateSyntaxError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GateSyntaxError, `expected GateSyntaxError, got ${String(err)}`);
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, ExitCode.USAGE);
    assert.equal(err.code, code, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('thresholds parse: every op, scalars, dotted scalars, longest metric name before the dot', () => {
  assert.deepEqual(parseThreshold('first_content_ms.p99 < 150'), { metric: 'first_content_ms', stat: 'p99', op: '<', value: 150, source: 'first_content_ms.p99 < 150' });
  assert.deepEqual(parseThreshold('  first_content_ms.p99.9<=1e3 '), { metric: 'first_content_ms', stat: 'p99.9', op: '<=', value: 1000, source: 'first_content_ms.p99.9<=1e3' });
  assert.equal(parseThreshold('requests_per_s > 10').op, '>');
  assert.equal(parseThreshold('events_per_read.max >= 1').op, '>=');
  assert.deepEqual(parseThreshold('error_rate < 0.01'), { metric: 'error_rate', stat: null, op: '<', value: 0.01, source: 'error_rate < 0.01' });
  assert.deepEqual(parseThreshold('errors.idle_timeout < 1'), { metric: 'errors.idle_timeout', stat: null, op: '<', value: 1, source: 'errors.idle_timeout < 1' });
  // `service_first_content_ms` also ends in `first_content_ms`: the whole known name wins.
  assert.equal(parseThreshold('service_first_content_ms.p50 < 5').metric, 'service_first_content_ms');
  assert.equal(parseThreshold('first_content_ms.count >= 20').stat, 'count');
  assert.equal(parseThreshold('lag_ms.mean < -.5').value, -0.5);
  for (const m of METRIC_NAMES) for (const s of STAT_NAMES) assert.equal(parseThreshold(`${m}.${s} < 1`).stat, s);
});

test('every threshold error is a usage error (exit 2) with its own code, naming the flag', () => {
  syntaxError(() => parseThreshold('   '), 'NBS_GATE_EMPTY', /^thresholds: empty expression/);
  syntaxError(() => parseThreshold('first_content_ms.p99 150'), 'NBS_GATE_MISSING_OPERATOR', /no comparison operator; expected one of < <= > >=/);
  for (const op of ['==', '=', '!=', '=<', '=>', '<>', '<<']) {
    syntaxError(() => parseThreshold(`first_content_ms.p99 ${op} 150`), 'NBS_GATE_UNKNOWN_OPERATOR', new RegExp(`unknown operator '${op}'`));
  }
  syntaxError(() => parseThreshold('< 150'), 'NBS_GATE_MISSING_METRIC');
  syntaxError(() => parseThreshold('first_content_ms.p99 <'), 'NBS_GATE_MISSING_NUMBER', /missing number after '<'/);
  for (const bad of ['150ms', 'abc', '1,5', '150 200', '0x10', 'NaN', 'Infinity']) {
    syntaxError(() => parseThreshold(`first_content_ms.p99 < ${bad}`), 'NBS_GATE_BAD_NUMBER', /is not a number/);
  }
  // The library names the option by its field; the CLI writes it as the flag (gate-cli.test.ts).
  const unknown = syntaxError(() => parseThreshold('first_contnt_ms.p99 < 150'), 'NBS_GATE_UNKNOWN_METRIC', /^thresholds 'first_contnt_ms.p99 < 150': unknown metric 'first_contnt_ms' \(did you mean first_content_ms\?\)/);
  assert.equal(unknown.field, 'thresholds');
  // The message lists every valid metric and scalar.
  for (const m of [...METRIC_NAMES, 'error_rate', 'server_cpu_ms_per_stream', 'errors.idle_timeout']) assert.ok(unknown.message.includes(m), m);
  syntaxError(() => parseThreshold('latency < 150'), 'NBS_GATE_UNKNOWN_METRIC', /unknown metric 'latency'/);
  syntaxError(() => parseThreshold('first_content_ms < 150'), 'NBS_GATE_MISSING_STAT', /first_content_ms needs a stat, e\.g\. first_content_ms\.p99 \(stats: p50 p90 p99 p99\.9 min max mean stdev count\)/);
  const stat = syntaxError(() => parseThreshold('first_content_ms.p95 < 150'), 'NBS_GATE_UNKNOWN_STAT', /unknown stat 'p95' of first_content_ms/);
  for (const s of STAT_NAMES) assert.ok(stat.message.includes(s));
  syntaxError(() => parseThreshold('first_content_ms. < 150'), 'NBS_GATE_UNKNOWN_STAT');
  syntaxError(() => parseThreshold('error_rate.p99 < 0.1'), 'NBS_GATE_SCALAR_STAT', /error_rate is a scalar and takes no stat/);
  syntaxError(() => parseThreshold('errors.made_up < 1'), 'NBS_GATE_UNKNOWN_METRIC', /unknown metric 'errors'/);
});

test('max regressions parse METRIC.STAT:N% and SCALAR:N%, with their own errors', () => {
  assert.deepEqual(parseMaxRegression('first_content_ms.p50:10%'), { metric: 'first_content_ms', stat: 'p50', pct: 10, source: 'first_content_ms.p50:10%' });
  assert.deepEqual(parseMaxRegression('requests_per_s: 2.5 %'), { metric: 'requests_per_s', stat: null, pct: 2.5, source: 'requests_per_s: 2.5 %' });
  assert.equal(parseMaxRegression('first_content_ms.p99.9:0%').stat, 'p99.9');
  syntaxError(() => parseMaxRegression(''), 'NBS_GATE_EMPTY', /^maxRegressions: empty expression/);
  syntaxError(() => parseMaxRegression('first_content_ms.p50 10%'), 'NBS_GATE_MISSING_PERCENT');
  for (const bad of ['10', 'ten%', '-5%', '%', '']) {
    syntaxError(() => parseMaxRegression(`first_content_ms.p50:${bad}`), 'NBS_GATE_BAD_PERCENT');
  }
  syntaxError(() => parseMaxRegression('first_content.p50:10%'), 'NBS_GATE_UNKNOWN_METRIC');
  syntaxError(() => parseMaxRegression('first_content_ms.median:10%'), 'NBS_GATE_UNKNOWN_STAT');
  syntaxError(() => parseMaxRegression('first_content_ms:10%'), 'NBS_GATE_MISSING_STAT');
});
