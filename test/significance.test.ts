import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changePct, judge, MIN_ROUNDS, rangeOf } from '../src/model/significance.js';

test('significant only when the per-round ranges do not overlap', () => {
  const r = (...xs: number[]) => rangeOf(xs);
  assert.deepEqual(judge(r(10, 11, 12), r(5, 6, 7)), { kind: 'significant', direction: 'lower' });
  assert.deepEqual(judge(r(10, 11, 12), r(13, 14, 20)), { kind: 'significant', direction: 'higher' });
  // Touching ranges overlap.
  assert.deepEqual(judge(r(10, 11, 12), r(12, 13, 14)), { kind: 'not_significant' });
  assert.deepEqual(judge(r(10, 11, 12), r(1, 11, 30)), { kind: 'not_significant' });
  assert.deepEqual(judge(r(1, 1, 1), r(1, 1, 1)), { kind: 'not_significant' });
  // Too few rounds: one round each never overlaps, so nothing is called significant.
  assert.equal(MIN_ROUNDS, 3);
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
