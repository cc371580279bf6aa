import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flushSettings, customSettings } from '../src/model/flush-presets.js';
import { codePointLength, FlushPolicy, type Release } from '../src/server/flush-policy.js';
import type { Payload } from '../src/server/source.js';

const chunk = (text: string): Payload => ({ type: 'chunk', text });
const texts = (rs: Release[]) => rs.map((r) => (r.payload as { text?: string }).text ?? r.payload.type);

/** Drives a policy with a fake clock: payloads at given times, the timer fired when it asks. */
function drive(policyName: 'guide-before' | 'guide-after', inputs: Array<[number, Payload]>, endAt: number) {
  const p = new FlushPolicy(flushSettings(policyName), 0);
  const out: Array<{ at: number; r: Release }> = [];
  let i = 0;
  let now = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const nextInput = i < inputs.length ? (inputs[i] as [number, Payload])[0] : Infinity;
    const deadline = p.deadline() ?? Infinity;
    if (nextInput === Infinity && deadline === Infinity) break;
    if (deadline <= nextInput && deadline <= endAt) {
      now = deadline;
      for (const r of p.timer(now)) out.push({ at: now, r });
    } else if (nextInput <= endAt) {
      now = nextInput;
      const [, payload] = inputs[i++] as [number, Payload];
      for (const r of p.push(payload, now)) out.push({ at: now, r });
    } else break;
  }
  for (const r of p.end(endAt)) out.push({ at: endAt, r });
  return out;
}

test('code points count like Python len(): surrogate pairs are one', () => {
  assert.equal(codePointLength('abc'), 3);
  assert.equal(codePointLength('😀'), 1);
  assert.equal(codePointLength('中文😀x'), 4);
  assert.equal(codePointLength('\ud800'), 1);
});

test('adaptive releases every payload at once and asks for no timer', () => {
  const p = new FlushPolicy(flushSettings('adaptive'), 0);
  assert.deepEqual(texts(p.push(chunk('a'), 1)), ['a']);
  assert.deepEqual(texts(p.push(chunk('b'), 1)), ['b']);
  assert.equal(p.deadline(), null);
  assert.deepEqual(p.end(2), []);
});

test('guide-before: size rule releases at 50 code points without waiting for the clock', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  assert.deepEqual(p.push(chunk('x'.repeat(49)), 1), []);
  const out = p.push(chunk('y'), 2);
  assert.equal(out.length, 1);
  assert.equal(codePointLength((out[0]?.payload as { text: string }).text), 50);
  assert.equal(out[0]?.srcAt, 1, 't_src is the oldest payload of the event');
});

test('guide-before: below 40 code points nothing is released by time alone', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  assert.deepEqual(p.push(chunk('x'.repeat(39)), 0), []);
  assert.equal(p.deadline(), null, 'no timer while below min_chars');
  assert.deepEqual(p.timer(500), []);
  assert.deepEqual(texts(p.end(600)), ['x'.repeat(39)]);
});

test('guide-before: 40 code points wait until 100 ms after the last release (timer)', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  assert.deepEqual(p.push(chunk('x'.repeat(40)), 30), []);
  assert.equal(p.deadline(), 100);
  assert.deepEqual(p.timer(99.9), []);
  assert.equal(p.timer(100).length, 1);
});


test('guide-before: a chunk arriving after the interval releases at once when ≥ 40 wait', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  assert.deepEqual(p.push(chunk('x'.repeat(20)), 10), []);
  const out = p.push(chunk('x'.repeat(20)), 120);
  assert.equal(out.length, 1);
});

test('guide-before: after a release the writer sleeps 10 ms; what arrives meanwhile queues', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  assert.equal(p.push(chunk('x'.repeat(50)), 5).length, 1);
  assert.deepEqual(p.push(chunk('y'.repeat(50)), 8), [], 'paused until 15');
  assert.equal(p.deadline(), 15);
  const out = p.timer(15);
  assert.deepEqual(texts(out), ['y'.repeat(50)]);
  assert.equal(out[0]?.srcAt, 8);
});

test('guide-after: 20 chars, or 50 ms and 15 chars, and no sleep', () => {
  const p = new FlushPolicy(flushSettings('guide-after'), 0);
  assert.equal(p.push(chunk('x'.repeat(20)), 1).length, 1);
  assert.equal(p.push(chunk('x'.repeat(20)), 1).length, 1, 'no release wait');
  assert.deepEqual(p.push(chunk('x'.repeat(15)), 2), []);
  assert.equal(p.deadline(), 51);
  assert.equal(p.timer(51).length, 1);
  assert.deepEqual(p.push(chunk('x'.repeat(14)), 200), [], '14 < 15 waits for more');
});

test('text is flushed before a non-text event and on a change of text type', () => {
  const p = new FlushPolicy(flushSettings('guide-after'), 0);
  assert.deepEqual(p.push({ type: 'stdout', text: 'a' }, 1), []);
  assert.deepEqual(texts(p.push({ type: 'stderr', text: 'b' }, 2)), ['a']);
  const display: Payload = { type: 'display', kind: 'display', data: { 'text/plain': '1' }, metadata: {} };
  const out = p.push(display, 3);
  assert.deepEqual(out.map((r) => r.payload.type), ['stderr', 'display']);
});

test('end flushes the buffer and the queue, in order, ignoring the sleep', () => {
  const p = new FlushPolicy(flushSettings('guide-before'), 0);
  p.push(chunk('x'.repeat(50)), 0);
  p.push(chunk('a'), 1);
  p.push({ type: 'error', code: 'NBS_SOURCE_FAILED', message: 'boom' }, 2);
  p.push(chunk('b'), 3);
  assert.deepEqual(texts(p.end(4)), ['a', 'error', 'b']);
});

test('custom starts from guide-after and applies overrides', () => {
  const s = customSettings({ bufferChars: 5, flushIntervalMs: 10, minChars: 1, plainHeaders: true });
  assert.equal(s.policy, 'custom');
  assert.equal(s.bufferChars, 5);
  assert.equal(s.kernelWaitMs, 100);
  assert.equal(s.streamingHeaders, false);
  const p = new FlushPolicy(s, 0);
  assert.equal(p.push(chunk('12345'), 0).length, 1);
});

test('the guide\'s ping (4-char tokens every 20 ms): before releases every 10 tokens, after every 4-5', () => {
  const inputs: Array<[number, Payload]> = [];
  for (let i = 0; i < 50; i++) inputs.push([i * 20, chunk('tok ')]);
  const before = drive('guide-before', inputs, 1000);
  const after = drive('guide-after', inputs, 1000);
  // First release: ≥ 40 chars and ≥ 100 ms → the 10th token at 180 ms.
  assert.equal(before[0]?.at, 180);
  assert.equal((before[0]?.r.payload as { text: string }).text.length, 40);
  // guide-after: ≥ 15 chars and ≥ 50 ms → 4 tokens by 60 ms.
  assert.equal(after[0]?.at, 60);
  assert.equal(before.length, 5);
  assert.ok(after.length > before.length * 2, `${after.length} releases vs ${before.length}`);
  const all = (xs: typeof before) => xs.map((x) => (x.r.payload as { text: string }).text).join('');
  assert.equal(all(before), 'tok '.repeat(50), 'nothing lost or reordered');
  assert.equal(all(after), 'tok '.repeat(50));
});
