import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProgress } from '../src/cli/progress-line.js';
import { parseDuration } from '../src/cli/duration.js';
import { arrivalSchedule } from '../src/probe/arrival-schedule.js';
import { checkOpenFileLimit } from '../src/probe/open-file-limit.js';
import { field } from '../src/model/field-text.js';

test('arrival schedules: constant is evenly spaced; poisson has the rate on average', () => {
  const constant = arrivalSchedule(4, 'constant');
  assert.deepEqual([constant(), constant(), constant(), constant()], [0, 250, 500, 750]);
  // A fixed pseudo-random sequence: the mean gap of 20,000 exponential gaps is 1/rate within 3 %.
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const poisson = arrivalSchedule(50, 'poisson', random);
  let last = poisson();
  assert.equal(last, 0);
  const gaps: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const at = poisson();
    gaps.push(at - last);
    last = at;
  }
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean - 20) < 0.6, `mean gap ${mean} ms for 50/s`);
  assert.ok(gaps.every((g) => g >= 0 && Number.isFinite(g)));
  // Exponential: about 1/e of the gaps exceed the mean.
  const over = gaps.filter((g) => g > 20).length / gaps.length;
  assert.ok(Math.abs(over - Math.exp(-1)) < 0.02, `${over} of the gaps exceed the mean`);
});

test('-d durations, and the open-file check against a given hard limit', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5'), 1500);
  assert.throws(() => parseDuration('soon'));
  assert.throws(() => parseDuration('0s'));
  assert.doesNotThrow(() => checkOpenFileLimit(100, field('concurrency'), 164));
  assert.throws(() => checkOpenFileLimit(101, field('concurrency'), 164), /hard open-file limit is 164/);
  assert.doesNotThrow(() => checkOpenFileLimit(1_000_000, field('concurrency'), Infinity));
  assert.doesNotThrow(() => checkOpenFileLimit(1_000_000, field('concurrency'), null));
});

test('the progress line: done/total with ETA, or elapsed/duration; dropped only when there are some', () => {
  const base = { phase: 'measure' as const, inFlight: 3, errors: 1, dropped: 0, ratePerS: 40, etaMs: null };
  assert.equal(formatProgress({ ...base, elapsedMs: 2000, done: 20, total: 100, durationMs: null, etaMs: 8000 }), '20/100  40 req/s  3 in flight  1 errors  ETA 8.0s');
  assert.equal(
    formatProgress({ ...base, elapsedMs: 15_000, done: 600, total: null, durationMs: 120_000, dropped: 4, etaMs: 105_000 }),
    '15.0s/2m00s  600 done  40 req/s  3 in flight  1 errors  4 dropped  ETA 1m45s',
  );
  assert.match(formatProgress({ ...base, phase: 'warmup', elapsedMs: 0, done: 0, total: 5, durationMs: null }), /^warmup  0\/5/);
  // Slow streams: a fractional rate, and no ETA until the rate is known.
  assert.equal(formatProgress({ ...base, ratePerS: 0.8, elapsedMs: 3000, done: 2, total: 10, durationMs: null }), '2/10  0.8 req/s  3 in flight  1 errors');
});

test('histogramMoments gives exactly hdr-histogram-js mean and stdDeviation', async () => {
  const { histogramMoments } = await import('../src/model/histogram-moments.js');
  const { newHistogram, recordClamped, decodeHistogram, encodeHistogram } = await import('../src/model/metric-histogram.js');
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const spread of [1, 50, 5000, 3_000_000, 3_600_000_000]) {
    const live = newHistogram();
    for (let i = 0; i < 3000; i++) recordClamped(live, random() * spread);
    for (const h of [live, decodeHistogram(encodeHistogram(live))]) {
      const m = histogramMoments(h);
      assert.equal(m.mean, h.mean, `mean, spread ${spread}`);
      assert.equal(m.stdev, h.stdDeviation, `stdev, spread ${spread}`);
    }
  }
  assert.deepEqual(histogramMoments(newHistogram()), { mean: 0, stdev: 0 });
});

test('without a terminal: one line per phase, then a done line', async () => {
  const { EventEmitter } = await import('node:events');
  const { attachPhaseLines } = await import('../src/cli/progress-line.js');
  const runner = new EventEmitter() as unknown as Parameters<typeof attachPhaseLines>[0];
  const lines: string[] = [];
  const out = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  attachPhaseLines(runner, out, 'bench');
  const p = { inFlight: 0, errors: 0, dropped: 0, ratePerS: 0, etaMs: null, elapsedMs: 0, durationMs: null };
  runner.emit('tick', { ...p, phase: 'warmup', done: 0, total: 1 });
  runner.emit('tick', { ...p, phase: 'warmup', done: 1, total: 1 });
  runner.emit('tick', { ...p, phase: 'measure', done: 0, total: 20 });
  runner.emit('tick', { ...p, phase: 'measure', done: 5, total: 20 });
  runner.emit('done', { ...p, phase: 'measure', done: 20, total: 20, errors: 1 });
  assert.deepEqual(lines.slice(0, 2), ['bench: warm-up 1 request\n', 'bench: measuring 20 requests\n']);
  assert.match(lines[2]!, /^bench: done, 20 requests \(1 errors\) in \d+\.\ds\n$/);
  assert.equal(lines.length, 3);
});
