import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor } from '../src/probe/doctor.js';
import { startUpstream } from '../src/upstream/server.js';
import { startChunkedOpenAi } from './helpers/coalescing-backend.js';
import { defineCoalescingTests, opts, show } from './helpers/coalescing-cases.js';

/**
 * Issue 26: doctor finds the guide's own coalescing buffer in a backend that is not ours (node:http
 * backends written in the test, no stamps here; with `t` stamps: doctor-coalescing-stamps.test.ts),
 * and an OpenAI-compatible stream coalesced or not.
 */
defineCoalescingTests(false);

test('an OpenAI-compatible stream, three tokens per chunk every 150 ms: coalesced, three tokens an event, the guide\'s fix first', async (t) => {
  const url = await startChunkedOpenAi(t, { perChunk: 3, intervalMs: 150, chunks: 14 });
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const r = await doctor(opts(url, { body, method: 'POST' }));
  t.diagnostic(show(r));
  // A steady source: timer or size threshold cannot be told apart here (doctor cannot change this
  // source); under load the server's own timer jitter may make one run look like a threshold.
  assert.ok(r.verdict === 'PERIODIC_FLUSH' || r.verdict === 'SIZE_THRESHOLD', show(r));
  assert.equal(r.classification.coalescing?.tokensPerEvent, 3);
  assert.equal(r.classification.coalescing?.basis, 'text');
  if (r.classification.rule === 'timer-or-size') assert.match(r.classification.needed ?? '', /faster source/);
  assert.equal(r.fixes[0]?.id, 'flush-per-event');
  assert.ok(!r.attribution.some((s) => s.implicates === 'accept' || s.implicates === 'compression'), 'jitter is not a cause');
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
