import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, type RunningServer } from '../src/server/serve.js';
import type { ServerOptions } from '../src/server/server-options.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';

async function withServer(t: { after: (fn: () => Promise<void>) => void }, opts: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ port: 0, logLevel: 'silent', ...opts });
  t.after(() => server.shutdown(0));
  return server;
}

const STAMP_PREFIX = /^\{"seq":(\d+),"t":\d+(\.\d+)?,"t_src":\d+(\.\d+)?,/;

test('adaptive: streaming headers, flushed before the first event, no Content-Length', async (t) => {
  const server = await withServer(t);
  const res = await rawRequest(server.url, {
    path: '/send_operation',
    headers: JSON_HEADERS,
    body: pingBody({ count: 3, interval_ms: 5 }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-cache, no-store, must-revalidate, no-transform');
  assert.equal(res.headers['pragma'], 'no-cache');
  assert.equal(res.headers['expires'], '0');
  assert.equal(res.headers['x-accel-buffering'], 'no');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['content-length'], undefined);
  assert.equal(res.headers['content-encoding'], undefined);
  assert.equal(res.headers['transfer-encoding'], 'chunked');
});

test('guide-before: text/plain and none of the anti-buffering headers; SSE framing kept in the body', async (t) => {
  const server = await withServer(t, { flushPolicy: 'guide-before' });
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 12, interval_ms: 0 }) });
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  for (const h of ['x-accel-buffering', 'cache-control', 'pragma', 'expires', 'content-length']) assert.equal(res.headers[h], undefined, h);
  const { events } = parseSseBody(res.body);
  assert.equal(events.at(-1)?.event, 'done');
  const text = events.filter((e) => e.event === 'chunk').map((e) => e.data['text']).join('');
  assert.equal(text, 'tok '.repeat(12));
});

test('SSE framing: seq 0,1,2,…, stamps first in every event, t ≥ t_src, done last with stats', async (t) => {
  const server = await withServer(t);
  const started = performance.now();
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 10, interval_ms: 2, token: 'é😀' }) });
  const duration = performance.now() - started;
  const { events } = parseSseBody(res.body);
  assert.equal(events.length, 11);
  events.forEach((e, i) => {
    const m = STAMP_PREFIX.exec(e.raw);
    assert.ok(m, `event ${i} starts with the stamps: ${e.raw.slice(0, 60)}`);
    assert.equal(e.data['seq'], i);
    assert.ok((e.data['t'] as number) >= (e.data['t_src'] as number));
  });
  assert.deepEqual(events.slice(0, 10).map((e) => e.data['text']), Array(10).fill('é😀'));
  const done = events[10];
  assert.equal(done?.event, 'done');
  assert.equal(done?.data['status'], 'ok');
  const stats = done?.data['stats'] as Record<string, number>;
  assert.equal(stats['events'], 10);
  // At most one write per event plus done's; at least one.
  assert.ok(stats['writes']! >= 1 && stats['writes']! <= stats['events']! + 1, `writes ${stats['writes']}`);
  // The first chunk left after the request arrived and before the response ended.
  const firstChunk = stats['server_first_chunk_ms']!;
  assert.ok(typeof firstChunk === 'number' && firstChunk >= 0 && firstChunk < duration, `server_first_chunk_ms ${firstChunk}, stream took ${duration.toFixed(1)} ms`);
  // bytes counts every event before done, as sent (UTF-8).
  const beforeDone = res.body.slice(0, res.body.lastIndexOf('event: done'));
  assert.equal(stats['bytes'], Buffer.byteLength(beforeDone));
});

test('done.stats.writes and hold per policy for 20 tokens 100 ms apart: adaptive writes each at once, guide-before holds them', async (t) => {
  const COUNT = 20;
  const writes: Record<string, number> = {};
  const maxHold: Record<string, number> = {};
  // The three run at once (one server each) and see the same load. 100 ms apart: the ping source
  // catches up overdue tokens in one turn (one adaptive write) only after a stall of ≥ 100 ms.
  await Promise.all(
    (['adaptive', 'guide-after', 'guide-before'] as const).map(async (policy) => {
      const server = await withServer(t, { flushPolicy: policy });
      const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: COUNT, interval_ms: 100 }) });
      const { events } = parseSseBody(res.body);
      const done = events.at(-1);
      assert.equal(done?.event, 'done');
      const chunks = events.filter((e) => e.event === 'chunk');
      assert.equal(chunks.map((e) => e.data['text']).join(''), 'tok '.repeat(COUNT), `${policy} delivers every token in order`);
      writes[policy] = (done?.data['stats'] as { writes: number }).writes;
      // Hold: t − t_src, how long the server kept an event (t_src: when its oldest token was produced).
      maxHold[policy] = Math.max(...chunks.map((e) => (e.data['t'] as number) - (e.data['t_src'] as number)));
    }),
  );
  t.diagnostic(`writes ${JSON.stringify(writes)}, max hold ms ${JSON.stringify(maxHold)}`);
  // Adaptive writes each token when produced (the last one may share the write of done).
  assert.ok(writes['adaptive']! >= COUNT - 5 && writes['adaptive']! <= COUNT + 1, `adaptive wrote ${writes['adaptive']} times`);
  // guide-before releases every 10 tokens (40 chars after ≥ 100 ms): about 3 writes.
  assert.ok(writes['guide-before']! <= 8, `guide-before wrote ${writes['guide-before']} times`);
  assert.ok(writes['guide-after']! > writes['guide-before']! && writes['guide-after']! < writes['adaptive']!, JSON.stringify(writes));
  // Adaptive holds an event only until the end of its event-loop turn; guide-after, the control
  // measured under the same load, holds a token until four have collected (~300 ms); guide-before
  // holds the first token of each 10-token batch until the tenth is produced (~900 ms later).
  assert.ok(maxHold['adaptive']! < maxHold['guide-after']! / 3, `adaptive held an event ${maxHold['adaptive']} ms, guide-after ${maxHold['guide-after']} ms`);
  assert.ok(maxHold['guide-before']! >= 500, `guide-before held at most ${maxHold['guide-before']} ms`);
});

test('NDJSON when Accept prefers it: one object a line, "event" last', async (t) => {
  const server = await withServer(t);
  const res = await rawRequest(server.url, {
    path: '/send_operation',
    headers: { ...JSON_HEADERS, accept: 'application/x-ndjson, text/event-stream;q=0.5' },
    body: pingBody({ count: 3, interval_ms: 1 }),
  });
  assert.equal(res.headers['content-type'], 'application/x-ndjson');
  const lines = res.body.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 4);
  for (const line of lines) assert.match(line, STAMP_PREFIX);
  assert.match(lines[0]!, /,"event":"chunk"\}$/);
  assert.match(lines[3]!, /,"event":"done"\}$/);
});

test('heartbeats: SSE comments on an idle stream, not counted as writes', async (t) => {
  const server = await withServer(t, { heartbeatS: 0.05 });
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1, first_delay_ms: 400 }) });
  const { events, comments } = parseSseBody(res.body);
  assert.ok(comments >= 2, `${comments} heartbeats in 400 ms at 50 ms`);
  assert.ok(res.body.includes(': hb\n\n'));
  assert.equal((events.at(-1)?.data['stats'] as { writes: number }).writes, 1, 'the token and done share one write');
});

test('keep-alive timeout is announced on HTTP/1.1', async (t) => {
  const server = await withServer(t, { keepAliveS: 42 });
  const res = await rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, connection: 'keep-alive' }, body: pingBody({ count: 1 }), onHeaders: () => true });
  assert.equal(res.headers['keep-alive'], 'timeout=42');
});

test('GET /healthz reports the policy, its settings and the stream counts', async (t) => {
  const server = await withServer(t, { flushPolicy: 'guide-after' });
  await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1 }) });
  const res = await rawRequest(server.url, { method: 'GET', path: '/healthz' });
  const health = JSON.parse(res.body) as Record<string, any>;
  assert.equal(health['status'], 'ok');
  assert.equal(health['policy'], 'guide-after');
  assert.equal(health['settings'].flushIntervalMs, 50);
  assert.equal(health['settings'].kernelWaitMs, 100);
  assert.equal(health['streams'].total, 1);
  assert.equal(health['streams'].outcomes.ok, 1);
});

test('X-NBS-Flush-Policy picks the policy per request only with allowPolicyOverride', async (t) => {
  const locked = await withServer(t);
  const a = await rawRequest(locked.url, { path: '/send_operation', headers: { ...JSON_HEADERS, 'x-nbs-flush-policy': 'guide-before' }, body: pingBody({ count: 1 }) });
  assert.equal(a.headers['content-type'], 'text/event-stream; charset=utf-8', 'header ignored without the flag');
  const open = await withServer(t, { allowPolicyOverride: true });
  const b = await rawRequest(open.url, { path: '/send_operation', headers: { ...JSON_HEADERS, 'x-nbs-flush-policy': 'guide-before' }, body: pingBody({ count: 1 }) });
  assert.equal(b.headers['content-type'], 'text/plain; charset=utf-8');
  const c = await rawRequest(open.url, { path: '/send_operation', headers: { ...JSON_HEADERS, 'x-nbs-flush-policy': 'fastest' }, body: pingBody({ count: 1 }) });
  assert.equal(c.status, 400);
  assert.equal((JSON.parse(c.body) as { error: { code: string } }).error.code, 'NBS_UNKNOWN_POLICY');
});
