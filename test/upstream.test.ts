import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFor, ProfileError, syntheticToken } from '../src/upstream/profile.js';
import { loadRecordings, recordingProblem } from '../src/upstream/recording.js';
import { startUpstream } from '../src/upstream/server.js';
import { eventually, streamFrames, upstreamFor } from './llm-helpers.js';

type Chunk = {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ index: number; delta: Record<string, unknown>; finish_reason: string | null }>;
  usage?: Record<string, unknown> | null;
};

test('a synthetic stream has the real API shape: role, content deltas, finish, usage, [DONE]', async (t) => {
  const up = await upstreamFor(t);
  const model = 'synthetic?ttft_ms=0&tps=1000&tokens=4';
  const { status, headers, frames } = await streamFrames(up.url, { model, stream_options: { include_usage: true } });
  assert.equal(status, 200);
  assert.match(headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(frames.at(-1)?.data, '[DONE]');
  const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data) as Chunk);
  assert.equal(chunks.length, 1 + 4 + 1 + 1);
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.id, chunks[0]?.id);
    assert.equal(c.created, chunks[0]?.created);
    assert.equal(c.model, model);
    assert.ok('usage' in c, 'with include_usage every chunk has a usage key');
  }
  assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '', refusal: null });
  assert.equal(chunks[0]?.usage, null);
  const texts = chunks.slice(1, 5).map((c) => c.choices[0]?.delta['content']);
  assert.deepEqual(texts, [0, 1, 2, 3].map(syntheticToken));
  assert.deepEqual(chunks[5]?.choices[0]?.delta, {});
  assert.equal(chunks[5]?.choices[0]?.finish_reason, 'stop');
  assert.deepEqual(chunks[6]?.choices, []);
  const usage = chunks[6]?.usage as { completion_tokens: number; prompt_tokens: number; total_tokens: number };
  assert.equal(usage.completion_tokens, 4);
  assert.equal(usage.total_tokens, usage.prompt_tokens + 4);
});

test('without include_usage there is no usage key and no usage chunk', async (t) => {
  const up = await upstreamFor(t);
  const { frames } = await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=2' });
  const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data) as Chunk);
  assert.equal(chunks.length, 1 + 2 + 1);
  assert.ok(chunks.every((c) => !('usage' in c)));
});

test('a synthetic stream keeps its rhythm: first token after ttft_ms, then 1000/tps apart', async (t) => {
  const up = await upstreamFor(t);
  // The control: the same stream with no delays, on the same server and machine load. What it takes
  // is the path's own cost; the delayed stream may add its 200 ms on top, plus timer lateness.
  const control = (await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=5' })).frames.filter((f) => f.data !== '[DONE]');
  const controlFirst = control[1]?.atMs ?? 0;
  const controlSpan = (control[5]?.atMs ?? 0) - controlFirst;
  // 5 tokens, 200 ms to the first, 50 ms apart: 200 ms, then 200 ms more for the other four.
  const { frames } = await streamFrames(up.url, { model: 'synthetic?ttft_ms=200&tps=20&tokens=5' });
  const content = frames.filter((f) => f.data !== '[DONE]' && typeof (JSON.parse(f.data) as Chunk).choices[0]?.delta['content'] === 'string' && (JSON.parse(f.data) as Chunk).choices[0]?.delta['content'] !== '');
  assert.equal(content.length, 5);
  const role = frames[0];
  const first = content[0]?.atMs ?? 0;
  const last = content[4]?.atMs ?? 0;
  // The role chunk is written on arrival, the first token 200 ms later: it arrives well before the
  // first token (a role held back for the first token arrives within a few ms of it; a role late by
  // up to 150 ms still passes). Upper bound generous: shared machines.
  assert.ok(role !== undefined && first - role.atMs >= 50 && role.atMs < 1000, `the role chunk comes at once (${role?.atMs} ms, first content at ${first} ms)`);
  // Token i is written no earlier than 200 + 50 i ms after the request arrived (absolute schedule,
  // timers only fire late), so it cannot arrive sooner after the request was sent.
  content.forEach((c, i) => assert.ok(c.atMs >= 200 + 50 * i - 2, `token ${i} at ${c.atMs} ms, due at ${200 + 50 * i} ms`));
  assert.ok(first < 200 + controlFirst + 100, `first content at ${first} ms, expected ~200 (control ${controlFirst} ms)`);
  assert.ok(last - first < 200 + controlSpan + 100, `four gaps took ${last - first} ms, expected ~200 (control ${controlSpan} ms)`);
});

test('role_ms delays the role chunk (as the real API sends it with the first token), never past the first delta', async (t) => {
  const up = await upstreamFor(t);
  const { frames } = await streamFrames(up.url, { model: 'synthetic?ttft_ms=250&tps=100&tokens=2&role_ms=250' });
  const role = frames[0];
  assert.ok(role !== undefined && role.atMs >= 240 && role.atMs < 2000, `role chunk at ${role?.atMs} ms`);
  assert.equal(planFor('synthetic?ttft_ms=100&role_ms=900', undefined, new Map()).roleAtMs, 100);
});

test('jitter is seeded: the same profile replays the same timings', () => {
  const a = planFor('synthetic?ttft_ms=100&tps=100&tokens=20&jitter_ms=5&seed=7', undefined, new Map());
  const b = planFor('synthetic?ttft_ms=100&tps=100&tokens=20&jitter_ms=5&seed=7', undefined, new Map());
  assert.deepEqual(a.deltas, b.deltas);
  for (const [i, d] of a.deltas.entries()) {
    assert.ok(Math.abs(d.atMs - (100 + i * 10)) <= 5 + 10, `token ${i} at ${d.atMs}`);
    if (i > 0) assert.ok(d.atMs >= (a.deltas[i - 1]?.atMs ?? 0), 'never out of order');
  }
});

test('profile errors: unknown model is 404, a bad or unknown parameter is 400', async (t) => {
  assert.throws(() => planFor('gpt-9', undefined, new Map()), (e: unknown) => e instanceof ProfileError && e.status === 404);
  assert.throws(() => planFor('synthetic?tps=0', undefined, new Map()), (e: unknown) => e instanceof ProfileError && e.status === 400);
  assert.throws(() => planFor('synthetic?bogus=1', undefined, new Map()), /unknown profile parameter 'bogus'/);
  assert.throws(() => planFor('synthetic?fail=418', undefined, new Map()), /'fail' must be one of/);
  const up = await upstreamFor(t);
  const res = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(res.status, 404);
  const body = (await res.json()) as { error: { code: string; type: string } };
  assert.equal(body.error.code, 'model_not_found');
  assert.equal(body.error.type, 'invalid_request_error');
});

test('failures on demand answer with the real status, body and retry-after', async (t) => {
  const up = await upstreamFor(t);
  const cases: Array<[string, number, string | null]> = [
    ['synthetic?fail=401', 401, 'invalid_api_key'],
    ['synthetic?fail=429&retry_after_s=7', 429, 'rate_limit_exceeded'],
    ['synthetic?fail=500', 500, null],
    ['synthetic?fail=503', 503, null],
  ];
  for (const [model, status, code] of cases) {
    const res = await fetch(`${up.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, status, model);
    const body = (await res.json()) as { error: { code: string | null; message: string } };
    assert.equal(body.error.code, code, model);
    assert.ok(body.error.message.length > 0);
    if (status === 429) assert.equal(res.headers.get('retry-after'), '7');
  }
});

test('max_tokens cuts the answer and finishes with length; non-streaming answers are one JSON', async (t) => {
  const up = await upstreamFor(t);
  const res = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=10', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    object: string;
    choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
    usage: { completion_tokens: number };
  };
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.choices[0]?.message.role, 'assistant');
  assert.equal(body.choices[0]?.message.content, [0, 1, 2].map(syntheticToken).join(''));
  assert.equal(body.choices[0]?.finish_reason, 'length');
  assert.equal(body.usage.completion_tokens, 3);
});

test('GET /v1/models lists synthetic and the shipped recordings', async (t) => {
  const up = await upstreamFor(t);
  const res = await fetch(`${up.url}/models`);
  const body = (await res.json()) as { object: string; data: Array<{ id: string; object: string }> };
  assert.equal(body.object, 'list');
  const ids = body.data.map((m) => m.id);
  assert.ok(ids.includes('synthetic'));
  assert.ok(ids.includes('zh-streaming-tips'));
});

test('the shipped recording replays its CJK and emoji deltas in order, scaled by speed', async (t) => {
  const recordings = await loadRecordings();
  const rec = recordings.get('zh-streaming-tips');
  assert.ok(rec !== undefined);
  assert.ok(rec.deltas.some(([, text]) => /\p{Script=Han}/u.test(text)), 'has CJK deltas');
  assert.ok(rec.deltas.some(([, text]) => /\p{Extended_Pictographic}/u.test(text)), 'has emoji deltas');
  const up = await upstreamFor(t);
  const { frames } = await streamFrames(up.url, { model: 'zh-streaming-tips?speed=20', stream_options: { include_usage: true } });
  const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data) as Chunk);
  const texts = chunks.map((c) => c.choices[0]?.delta['content']).filter((x): x is string => typeof x === 'string' && x !== '');
  assert.deepEqual(texts, rec.deltas.map(([, text]) => text));
  assert.equal(chunks[0]?.model, rec.model);
  assert.deepEqual((chunks.at(-1)?.usage as { completion_tokens: number }).completion_tokens, rec.usage?.completion_tokens);
});

test('recordings are validated, naming the file and the field', async (t) => {
  assert.equal(recordingProblem({ format: 'x' }, 'a.json'), '"format" must be "notebook-stream.llm-recording/1"');
  const good = {
    format: 'notebook-stream.llm-recording/1',
    name: 'a',
    description: 'd',
    provenance: 'p',
    model: 'm',
    finish_reason: 'stop',
    deltas: [[10, 'x'], [5, 'y']],
  };
  assert.match(recordingProblem(good, 'a.json') ?? '', /deltas\[1\] is earlier/);
  assert.match(recordingProblem({ ...good, deltas: [[1, 'x']] }, 'b.json') ?? '', /"name" must equal the file name/);
  assert.equal(recordingProblem({ ...good, deltas: [[1, 'x']] }, 'a.json'), undefined);
  const dir = await mkdtemp(join(tmpdir(), 'nbs-rec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'broken.json'), '{ not json');
  await assert.rejects(loadRecordings(dir), /broken\.json/);
});

test('reset_after cuts the connection after N deltas; the client sees what came before', async (t) => {
  const up = await upstreamFor(t);
  const res = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&reset_after=3', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(res.status, 200);
  let received = '';
  const decoder = new TextDecoder();
  await assert.rejects(async () => {
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) received += decoder.decode(part, { stream: true });
  });
  assert.equal((received.match(/"content":"[^"]+"/g) ?? []).length, 3);
  assert.ok(!received.includes('[DONE]'));
  assert.equal(up.stats.resets, 1);
  assert.equal(up.stats.closedEarly, 0, 'a reset by the upstream is not a client hang-up');
});

test('error_after sends an error object in a data frame after N deltas, then ends without [DONE]', async (t) => {
  const up = await upstreamFor(t);
  const { status, frames } = await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&error_after=2' });
  assert.equal(status, 200);
  const last = JSON.parse(frames.at(-1)?.data ?? '{}') as { error?: { type: string } };
  assert.equal(last.error?.type, 'server_error');
  assert.equal(frames.filter((f) => f.data.includes('"content":"') && !f.data.includes('"content":""')).length, 2);
  assert.ok(frames.every((f) => f.data !== '[DONE]'));
});

test('stall_after goes silent; the upstream counts the client closing early', async (t) => {
  const up = await upstreamFor(t);
  const controller = new AbortController();
  const res = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    signal: controller.signal,
    body: JSON.stringify({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&stall_after=2', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let received = '';
  const decoder = new TextDecoder();
  while ((received.match(/"content":"[^"]+"/g) ?? []).length < 2) {
    const { value, done } = await reader.read();
    assert.equal(done, false);
    received += decoder.decode(value, { stream: true });
  }
  // Nothing more comes for a while.
  const more = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(() => r('silent'), 300))]);
  assert.equal(more, 'silent');
  assert.equal(up.stats.active, 1);
  controller.abort();
  assert.ok(await eventually(() => up.stats.closedEarly === 1), `closedEarly=${up.stats.closedEarly}`);
  assert.equal(up.stats.active, 0);
});

test('close() ends streams in progress and frees the port', async () => {
  const up = await startUpstream({ port: 0 });
  const pending = fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'synthetic?ttft_ms=0&tokens=5&stall_after=1', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  }).then(async (res) => {
    for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>);
  });
  assert.ok(await eventually(() => up.stats.active === 1));
  await up.close();
  await assert.rejects(pending);
  assert.equal(up.stats.closedEarly, 0, 'streams cut by close() are not client hang-ups');
  const again = await startUpstream({ port: up.port });
  await again.close();
});

test('reasoning and tokens_per_chunk: reasoning_content chunks first, then content, several tokens a chunk, usage counting both', async (t) => {
  const plan = planFor('synthetic?ttft_ms=50&tps=100&tokens=7&reasoning=4&tokens_per_chunk=3', undefined, new Map());
  assert.deepEqual(
    plan.deltas.map((d) => [d.kind, d.tokens, d.atMs]),
    [['reasoning', 3, 50], ['reasoning', 1, 80], ['content', 3, 110], ['content', 3, 140], ['content', 1, 170]],
  );
  assert.deepEqual([plan.completionTokens, plan.reasoningTokens], [11, 4]);
  assert.equal(planFor('synthetic?tokens=7&reasoning=4&tokens_per_chunk=3', 8, new Map()).completionTokens, 7, 'max_tokens keeps whole chunks');
  const up = await upstreamFor(t);
  const { frames } = await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=4&reasoning=2&tokens_per_chunk=2&continuous_usage=1', stream_options: { include_usage: true } });
  const chunks = frames.filter((f) => f.data !== '[DONE]').map((f) => JSON.parse(f.data) as { choices: Array<{ delta: Record<string, unknown> }>; usage: { completion_tokens: number; completion_tokens_details: { reasoning_tokens: number } } | null });
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
  assert.deepEqual(deltas.slice(1, 4).map((d) => Object.keys(d)), [['reasoning_content'], ['content'], ['content']]);
  // continuous_usage: every chunk carries the running total (vLLM's continuous_usage_stats).
  assert.deepEqual(chunks.slice(1, 4).map((c) => c.usage?.completion_tokens), [2, 4, 6]);
  assert.equal(chunks.at(-1)!.usage!.completion_tokens_details.reasoning_tokens, 2);
});

test('usage=1 sends the usage chunk unasked; cut_after ends cleanly without finish or [DONE]; error_body answers 200 with an error object', async (t) => {
  const up = await upstreamFor(t);
  const usage = await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=2&usage=1' });
  assert.ok(usage.frames.some((f) => f.data.includes('"choices":[]') && f.data.includes('"completion_tokens":2')));
  const cut = await streamFrames(up.url, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=5&cut_after=2' });
  assert.equal(cut.status, 200);
  assert.equal(cut.frames.filter((f) => f.data.includes('"content":"') && !f.data.includes('"content":""')).length, 2);
  assert.ok(cut.frames.every((f) => f.data !== '[DONE]' && !f.data.includes('finish_reason":"stop')));
  const res = await fetch(`${up.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'synthetic?error_body=1', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'server_error');
});

test('heartbeat_ms writes an SSE comment after that long without a write', async (t) => {
  const up = await upstreamFor(t);
  const res = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'synthetic?ttft_ms=300&tps=1000&tokens=1&heartbeat_ms=50', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  const body = await res.text();
  const beats = (body.match(/^: keep-alive$/gm) ?? []).length;
  // 300 ms of silence after the role chunk at 50 ms intervals: timers fire late, never early, so at most 6.
  assert.ok(beats >= 1 && beats <= 6, `${beats} heartbeats in ${body.length} bytes`);
  assert.ok(body.indexOf(': keep-alive') < body.indexOf('"content":"Streaming'), 'the heartbeats come while the source is idle');
  assert.ok(body.trimEnd().endsWith('data: [DONE]'));
});
