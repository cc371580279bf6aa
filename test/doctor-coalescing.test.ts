import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor, type DoctorOptions } from '../src/probe/doctor.js';
import type { DoctorResult } from '../src/model/doctor-result.js';
import { startUpstream } from '../src/upstream/server.js';
import { startChunkedOpenAi, startCoalescingBackend, type CoalescingBackend } from './helpers/coalescing-backend.js';

/**
 * Issue 26: doctor finds the guide's own coalescing buffer in a backend that is not ours. Each
 * backend below is written in the test (node:http) and does one thing; the verdict must say what.
 */
const FLAGS = {
  keepAlive: true,
  format: 'auto' as const,
  maxEventBytes: 1 << 20,
  connectTimeoutMs: 5000,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 20_000,
  requestTimeoutS: 30,
};
const opts = (url: string, over: Partial<DoctorOptions> = {}): DoctorOptions => ({ ...FLAGS, url, runs: 1, budgetS: 60, ...over });
/** The guide's ping as doctor sends it to our own server: 200 tokens of `tok ` 10 ms apart. */
const PING = JSON.stringify({ notebook_id: 'doctor', operation: { type: 'ping', count: 200, interval_ms: 10, token: 'tok ' }, lang: 'en' });

const show = (r: DoctorResult) =>
  `${r.verdict} rule=${r.classification.rule} ${r.reason} | ${JSON.stringify(r.classification.coalescing)} | ` +
  r.attribution.map((s) => `${s.id}: ${s.verdict} ${s.conclusion}`).join(' | ');

for (const stamps of [false, true]) {
  const label = stamps ? 'with t stamps' : 'no stamps';

  test(`a backend that coalesces by time only (100 ms), ${label}: PERIODIC_FLUSH, rule timer`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'timer', stamps, contentType: 'text/plain; charset=utf-8' });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'PERIODIC_FLUSH', show(r));
    assert.equal(r.classification.rule, 'timer', show(r));
    const T = r.classification.flushIntervalMs!;
    assert.ok(T >= 90 && T <= 200, `interval ${T} ms`);
    assert.ok(r.classification.coalescing!.tokensPerEvent >= 3, show(r));
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
    assert.match(r.fixes[0]!.because, /the backend coalesces: [\d.]+ source tokens per event/);
  });

  test(`a backend that coalesces by size only (40 characters), ${label}: SIZE_THRESHOLD, rule size`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'size', stamps });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'SIZE_THRESHOLD', show(r));
    assert.equal(r.classification.rule, 'size', show(r));
    assert.ok(r.classification.thresholdChars! >= 36 && r.classification.thresholdChars! <= 44, `~${r.classification.thresholdChars} characters`);
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
  });

  test(`the guide's buffer, 40 characters or 100 ms, ${label}: PERIODIC_FLUSH, rule timer+size`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'both', stamps, contentType: 'text/plain; charset=utf-8' });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'PERIODIC_FLUSH', show(r));
    assert.equal(r.classification.rule, 'timer+size', show(r));
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
  });

  for (const interval of [10, 100]) {
    test(`one event per token at a steady ${interval} ms, ${label}: STREAMING`, async (t) => {
      const url = await startCoalescingBackend(t, { rule: 'none', stamps } satisfies CoalescingBackend);
      const body = JSON.stringify({ operation: { type: 'ping', count: interval === 10 ? 150 : 20, interval_ms: interval, token: 'tok ' } });
      const r = await doctor(opts(url, { body }));
      t.diagnostic(show(r));
      assert.equal(r.verdict, 'STREAMING', show(r));
      assert.deepEqual(r.fixes, []);
      assert.equal(r.classification.coalescing?.tokensPerEvent, 1);
    });
  }
}

test('an OpenAI-compatible stream, three tokens per chunk every 150 ms: coalesced (PERIODIC_FLUSH, steady, names the experiment)', async (t) => {
  const url = await startChunkedOpenAi(t, { perChunk: 3, intervalMs: 150, chunks: 14 });
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const r = await doctor(opts(url, { body, method: 'POST' }));
  t.diagnostic(show(r));
  assert.equal(r.verdict, 'PERIODIC_FLUSH', show(r));
  assert.equal(r.classification.coalescing?.tokensPerEvent, 3);
  assert.equal(r.classification.coalescing?.basis, 'text');
  assert.ok(r.classification.rule === 'timer-or-size' || r.classification.rule === 'timer', show(r));
  if (r.classification.rule === 'timer-or-size') assert.match(r.classification.needed ?? '', /faster source/);
  assert.equal(r.fixes[0]?.id, 'flush-per-event');
});

test('an OpenAI-compatible stream, one token every 50 ms (the replay upstream): STREAMING; at 100 ms STREAMING with the caveat', async (t) => {
  const up = await startUpstream({ port: 0 });
  t.after(() => up.close());
  const body = (tps: number, tokens: number) => JSON.stringify({ model: `synthetic?ttft_ms=50&tps=${tps}&tokens=${tokens}`, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const fast = await doctor(opts(`${up.url}/chat/completions`, { body: body(20, 30), method: 'POST' }));
  t.diagnostic(show(fast));
  assert.equal(fast.verdict, 'STREAMING', show(fast));
  assert.equal(fast.classification.coalescing?.tokensPerEvent, 1);
  const slow = await doctor(opts(`${up.url}/chat/completions`, { body: body(10, 16), method: 'POST' }));
  t.diagnostic(show(slow));
  assert.equal(slow.verdict, 'STREAMING', show(slow));
  assert.match(slow.classification.caveat ?? '', /look alike; a faster source would tell/);
  assert.deepEqual(slow.fixes, []);
});
