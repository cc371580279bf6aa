import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changePct, falsePositiveRate, judge, MIN_ROUNDS, rangeOf } from '../src/model/significance.js';

test('significant only when the per-round ranges do not overlap', () => {
  const r = (...xs: number[]) => rangeOf(xs);
  assert.deepEqual(judge(r(10, 11, 12, 10, 11), r(5, 6, 7, 5, 6)), { kind: 'significant', direction: 'lower' });
  assert.deepEqual(judge(r(10, 11, 12, 10, 11), r(13, 14, 20, 13, 14)), { kind: 'significant', direction: 'higher' });
  // Touching ranges overlap.
  assert.deepEqual(judge(r(10, 11, 12, 10, 11), r(12, 13, 14, 13, 13)), { kind: 'not_significant' });
  assert.deepEqual(judge(r(10, 11, 12, 10, 11), r(1, 11, 30, 1, 1)), { kind: 'not_significant' });
  assert.deepEqual(judge(r(1, 1, 1, 1, 1), r(1, 1, 1, 1, 1)), { kind: 'not_significant' });
  // Too few rounds: with 3 a side, one row in ten is "significant" by luck (issue 32); from 5 on, < 1 %.
  assert.equal(MIN_ROUNDS, 5);
  assert.ok(falsePositiveRate(3, 3) > 0.09 && falsePositiveRate(4, 4) > 0.01);
  assert.ok(falsePositiveRate(5, 5) < 0.01);
  assert.equal(falsePositiveRate(5, 5), 2 / 252);
  assert.equal(falsePositiveRate(2, 4), 2 / 15);
  assert.deepEqual(judge(r(10, 11, 12), r(5, 6, 7)), { kind: 'too_few_rounds', rounds: 3 });
  assert.deepEqual(judge(r(10), r(1)), { kind: 'too_few_rounds', rounds: 1 });
  assert.deepEqual(judge(r(10, 11, 12), r(1, 2)), { kind: 'too_few_rounds', rounds: 2 });
  assert.deepEqual(judge(null, r(1, 2, 3)), { kind: 'too_few_rounds', rounds: 0 });
  // Rounds without a value (no samples) do not count.
  assert.deepEqual(rangeOf([3, null, 1, undefined, 2]), { min: 1, max: 3, n: 3 });
  assert.equal(rangeOf([null]), null);
});

test('change in % against the baseline', () => {
  assert.equal(changePct(200, 20), -90);
  assert.equal(changePct(20, 30), 50);
  assert.equal(changePct(0, 0), 0);
  assert.equal(changePct(0, 3), null);
  assert.equal(changePct(null, 3), null);
});
